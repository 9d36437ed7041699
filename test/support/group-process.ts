import { spawn, type ChildProcess } from 'node:child_process';
import { repoRoot } from '../../infra/local/processes';

/**
 * A command started in a process group of its own, its output kept, stopped as a group. No such
 * process outlives the test run, even when the runner is interrupted.
 */
export interface GroupProcess {
  child: ChildProcess;
  /** Everything it wrote so far (stdout and stderr, the newest few MiB). */
  output(): string;
  /** Its JSON log lines so far. */
  records(): Array<Record<string, unknown>>;
  /** Resolves with its exit code (null: killed by a signal). */
  exited: Promise<number | null>;
  /** SIGTERM to the group, SIGKILL after graceMs; resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL to the group; resolves once it has exited. */
  kill(): Promise<void>;
}

const running = new Set<ChildProcess>();
const killGroup = (child: ChildProcess, signal: NodeJS.Signals) => {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    /* already gone */
  }
};
process.on('exit', () => running.forEach((child) => killGroup(child, 'SIGKILL')));

/** Starts `command args`, from `cwd` (the repository root), with `env` added to this process's environment (undefined: unset). */
export function startGroup(command: string, args: string[], env: Record<string, string | undefined> = {}, cwd = repoRoot): GroupProcess {
  const environment = { ...process.env, ...env };
  for (const [name, value] of Object.entries(environment)) if (value === undefined) delete environment[name];
  const child = spawn(command, args, { cwd, env: environment, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let output = '';
  const keep = (data: Buffer) => {
    output += data.toString('latin1');
    if (output.length > 4 * 1024 * 1024) output = output.slice(-2 * 1024 * 1024);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>((resolve) =>
    child.on('close', (code) => {
      running.delete(child);
      resolve(code);
    }),
  );
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  return {
    child,
    output: () => output,
    records: () =>
      output.split('\n').flatMap((line) => {
        if (!line.startsWith('{')) return [];
        try {
          return [JSON.parse(line) as Record<string, unknown>];
        } catch {
          return [];
        }
      }),
    exited,
    async stop(graceMs = 10_000) {
      if (!gone()) {
        killGroup(child, 'SIGTERM');
        const timer = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }
      // What it started may outlive it by a moment (cluster workers).
      killGroup(child, 'SIGKILL');
    },
    async kill() {
      killGroup(child, 'SIGKILL');
      await exited;
    },
  };
}
