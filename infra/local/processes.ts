import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface Started {
  child: ChildProcess;
  output: () => string;
  /** Sends a signal to the whole process group. */
  signal: (signal: NodeJS.Signals) => void;
  /** Resolves when the process has exited. */
  exited: Promise<number | null>;
}

const running = new Set<ChildProcess>();

// No process outlives the test run, even when a test fails or the runner is interrupted.
const killAll = () => {
  for (const child of running) {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
};
process.on('exit', killAll);

/** Starts `node --import tsx <script>` from the repository root in its own process group. */
export function startNodeScript(script: string, env: Record<string, string>, args: string[] = [], nodeArgs: string[] = []): Started {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', script, ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let output = '';
  // Keep the tail only (a few thousand log lines): a long-running part must not grow without bound.
  const keep = (d: Buffer) => {
    output += d;
    if (output.length > 4 * 1024 * 1024) output = output.slice(output.indexOf('\n', output.length - 2 * 1024 * 1024) + 1);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>((res) => child.on('close', (code) => {
    running.delete(child);
    res(code);
  }));
  return {
    child,
    output: () => output,
    signal: (signal) => {
      try {
        process.kill(-child.pid!, signal);
      } catch {
        /* already gone */
      }
    },
    exited,
  };
}

/** Polls until `probe` resolves truthy, or throws with `describe()` after `timeoutMs`. */
export async function waitFor<T>(probe: () => Promise<T | undefined | false | null>, describe: () => string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting: ${describe()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
