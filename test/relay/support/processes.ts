import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';

export const repoRoot = resolve(import.meta.dirname, '../../..');

export interface RunningProcess {
  child: ChildProcess;
  lines: string[];
  /** Resolves when the process has exited. */
  exited: Promise<number | null>;
  /** SIGTERM to the process group, SIGKILL after graceMs. */
  stop(graceMs?: number): Promise<void>;
  /** kill -9 of the whole process group. */
  kill(): Promise<void>;
  /** JSON log records seen so far. */
  records(): Array<Record<string, unknown>>;
}

/** Starts `node --import tsx <script>` in its own process group, capturing its output lines. */
export function startNode(script: string, env: Record<string, string>, args: string[] = []): RunningProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args, script], {
    cwd: repoRoot,
    env: { ...process.env, NODE_NO_WARNINGS: '1', ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) if (line.trim()) lines.push(line);
    if (lines.length > 20000) lines.splice(0, lines.length - 20000);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, sig);
    } catch {
      // already gone
    }
  };
  return {
    child,
    lines,
    exited,
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      signal('SIGTERM');
      const timer = setTimeout(() => signal('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
      // Workers of a cluster may outlive the primary by a moment.
      signal('SIGKILL');
    },
    async kill() {
      signal('SIGKILL');
      await exited;
    },
    records() {
      return lines.flatMap((line) => {
        try {
          return [JSON.parse(line) as Record<string, unknown>];
        } catch {
          return [];
        }
      });
    },
  };
}

/** Polls url until it answers (any HTTP status) or the deadline passes. */
export async function waitForHttp(url: string, process: RunningProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (process.child.exitCode !== null) throw new Error(`process exited early:\n${process.lines.slice(-30).join('\n')}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`${url} did not answer in ${timeoutMs} ms:\n${process.lines.slice(-30).join('\n')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
