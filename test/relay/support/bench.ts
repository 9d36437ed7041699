import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { randomFile, tempDir } from './files';
import { startTestRelay, type TestRelay } from './relay-process';

export interface LoadResult {
  clients: number;
  ok: number;
  failed: number;
  seconds: number;
  /** Aggregate throughput of the successful downloads, in MB/s (10^6 bytes). */
  mbps: number;
}

/**
 * Runs `clients` copies of a download command at once and measures the wall time until the last
 * one ends. Each client is bounded by timeoutMs.
 */
export async function concurrentDownloads(clients: number, command: (i: number) => [string, string[]], bytesEach: number, timeoutMs = 300_000): Promise<LoadResult> {
  const started = performance.now();
  const outcomes = await Promise.all(
    Array.from({ length: clients }, (_, i) => {
      const [file, args] = command(i);
      return new Promise<boolean>((resolve) => {
        const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'ignore'] });
        let out = '';
        child.stdout.on('data', (c: Buffer) => (out += c.toString()));
        const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
        child.on('close', (code) => {
          clearTimeout(timer);
          // curl prints the size it got with -w; other clients are judged by their exit code.
          resolve(code === 0 && (out === '' || Number(out) === bytesEach));
        });
        child.on('error', () => resolve(false));
      });
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const ok = outcomes.filter(Boolean).length;
  return { clients, ok, failed: clients - ok, seconds, mbps: (ok * bytesEach) / 1e6 / seconds };
}

export function formatRow(cells: Array<string | number>, widths: number[]): string {
  return cells.map((c, i) => String(c).padStart(widths[i] ?? 10)).join('  ');
}

/**
 * Alternates the contenders round by round (the machine's load drifts) and keeps each one's median
 * round. Every other round runs them in reverse order (A B, B A, A B, …), so that none always goes first.
 */
export async function medianOfRounds(rounds: number, contenders: Array<() => Promise<LoadResult>>): Promise<LoadResult[]> {
  const results: LoadResult[][] = contenders.map(() => []);
  for (let round = 0; round < rounds; round++) {
    const order = [...contenders.keys()];
    if (round % 2 === 1) order.reverse();
    for (const i of order) results[i].push(await contenders[i]());
  }
  return results.map((list) => {
    const sorted = [...list].sort((a, b) => a.mbps - b.mbps);
    const median = sorted[Math.floor((sorted.length - 1) / 2)];
    return { ...median, failed: list.reduce((sum, r) => sum + r.failed, 0) };
  });
}

/**
 * A bench's setting: a random image in a tree an unprivileged reference server (tftpd-hpa,
 * nginx workers) can read, a relay serving it with 2 workers (RELAY_WORKERS), the reference
 * server, and the teardown of all three whatever happens. Exits the process with the outcome.
 */
export function runBench<R extends { child: ChildProcess }>(options: {
  name: string;
  imageBytes: number;
  relayEnv: Record<string, string>;
  startReference: (dir: string) => Promise<R>;
  body: (relay: TestRelay, reference: R) => Promise<void>;
}): void {
  const main = async () => {
    const dir = tempDir(options.name);
    randomFile(dir, 'image.bin', options.imageBytes);
    chmodSync(dir, 0o755);
    chmodSync(join(dir, 'image.bin'), 0o644);
    const relay = await startTestRelay({ RELAY_BOOT_DIR: dir, RELAY_WORKERS: relayWorkers(), RELAY_LOG_LEVEL: 'warn', ...options.relayEnv });
    let reference: R | null = null;
    try {
      reference = await options.startReference(dir);
      await options.body(relay, reference);
    } finally {
      try {
        if (reference) process.kill(-reference.child.pid!, 'SIGTERM');
      } catch {
        // gone
      }
      await relay.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  };
  main().then(
    () => process.exit(0),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}

export const relayWorkers = () => process.env.RELAY_WORKERS ?? '2';
