import { repoRoot } from '../../../infra/local/processes';
import { type GroupProcess, startGroup } from '../../support/group-process';

/**
 * A node process started exactly as given (no loader added, unlike infra/local/processes.ts),
 * so that a built program is seen starting on its own, in a process group of its own.
 */
export type NodeProcess = GroupProcess;

export function startNode(args: string[], env: Record<string, string>, cwd = repoRoot): NodeProcess {
  return startGroup(process.execPath, args, env, cwd);
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
