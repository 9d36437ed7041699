import { spawn, type ChildProcess } from 'node:child_process';
import { repoRoot } from '../../../infra/local/processes';

/**
 * A node process started exactly as given (no loader added, unlike infra/local/processes.ts),
 * so that a built program is seen starting on its own. It runs in its own process group, which
 * is killed when the test process exits, whatever happens.
 */
export interface NodeProcess {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  /** SIGTERM to the group, SIGKILL after graceMs; resolves once the process has exited. */
  stop: (graceMs?: number) => Promise<void>;
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

export function startNode(args: string[], env: Record<string, string>, cwd = repoRoot): NodeProcess {
  const child = spawn(process.execPath, args, { cwd, env: { ...process.env, ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk).slice(-1024 * 1024);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>((resolve) =>
    child.on('close', (code) => {
      running.delete(child);
      resolve(code);
    }),
  );
  return {
    child,
    output: () => output,
    exited,
    async stop(graceMs = 10_000) {
      if (child.exitCode === null && child.signalCode === null) {
        killGroup(child, 'SIGTERM');
        const timer = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }
      // Workers of a cluster may outlive their primary by a moment.
      killGroup(child, 'SIGKILL');
    },
  };
}

/** Polls url until it answers 200; throws with the process's output if it exits or the deadline passes. */
export async function waitForOk(url: string, proc: NodeProcess, timeoutMs = 60_000, intervalMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.child.exitCode !== null) throw new Error(`exited (code ${proc.child.exitCode}) before ${url} answered:\n${proc.output().slice(-4000)}`);
    const status = await fetch(url, { signal: AbortSignal.timeout(1000) }).then(
      async (res) => (await res.arrayBuffer(), res.status),
      () => 0,
    );
    if (status === 200) return;
    if (Date.now() > deadline) throw new Error(`${url} did not answer 200 within ${timeoutMs} ms:\n${proc.output().slice(-4000)}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
