import { type ChildProcess, spawn } from 'node:child_process';
import { repoRoot } from '../../../infra/local/processes';

export interface EmulateProcess {
  child: ChildProcess;
  /** stdout lines so far. */
  readonly lines: string[];
  /** stderr so far (progress lines, errors). */
  readonly stderr: string;
  /** The first stdout line (from `from` on) that matches, or an error with the output after timeoutMs. */
  waitForLine(pattern: RegExp, timeoutMs?: number, from?: number): Promise<string>;
  /** Resolves with the exit status; when it is not `status`, fails showing the output. */
  exitsWith(status: number, timeoutMs?: number): Promise<void>;
  /** A command on stdin (reboot, status, continue, quit). */
  send(command: string): void;
  exited: Promise<number | null>;
  /** SIGKILL to its process group (npx and the node it starts). */
  kill(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
});

/** `npx tandem emulate …args` in its own process group, as an operator would run it. */
export function startEmulate(args: string[], command: string[] = ['npx', 'tandem', 'emulate']): EmulateProcess {
  const child = spawn(command[0], [...command.slice(1), ...args], { cwd: repoRoot, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
  running.add(child);
  let stdout = '';
  let stderr = '';
  const listeners = new Set<() => void>();
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    for (const listener of listeners) listener();
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.on('close', (code) => {
      running.delete(child);
      for (const listener of listeners) listener();
      resolve(code);
    }),
  );
  const lines = () => stdout.split('\n').filter((line) => line.trim());
  return {
    child,
    get lines() {
      return lines();
    },
    get stderr() {
      return stderr;
    },
    waitForLine(pattern, timeoutMs = 60_000, from = 0) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const line = lines().slice(from).find((l) => pattern.test(l));
          if (line !== undefined) done(() => resolve(line));
          else if (child.exitCode !== null || child.signalCode !== null) done(() => reject(new Error(`emulate exited (${child.exitCode}) before ${pattern}:\n${stdout}\n${stderr}`)));
        };
        const timer = setTimeout(() => done(() => reject(new Error(`no line ${pattern} within ${timeoutMs} ms:\n${stdout}\n${stderr}`))), timeoutMs);
        const done = (settle: () => void) => {
          clearTimeout(timer);
          listeners.delete(check);
          settle();
        };
        listeners.add(check);
        check();
      });
    },
    async exitsWith(status, timeoutMs = 120_000) {
      let timer: NodeJS.Timeout | undefined;
      const code = await Promise.race([exited, new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)))]);
      clearTimeout(timer);
      if (code !== status) throw new Error(`emulate ended with ${code}, not ${status}:\n${stdout}\n${stderr}`);
    },
    send(command) {
      child.stdin!.write(`${command}\n`);
    },
    exited,
    async kill() {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
      await exited;
    },
  };
}
