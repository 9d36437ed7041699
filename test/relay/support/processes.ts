import type { ChildProcess } from 'node:child_process';
import { startNodeScript } from '../../../infra/local/processes';

export interface RunningProcess {
  child: ChildProcess;
  /** Output lines seen so far (the newest few thousand). */
  readonly lines: string[];
  /** Resolves when the process has exited. */
  exited: Promise<number | null>;
  /** SIGTERM to the process group, SIGKILL after graceMs. */
  stop(graceMs?: number): Promise<void>;
  /** kill -9 of the whole process group. */
  kill(): Promise<void>;
  /** JSON log records seen so far. */
  records(): Array<Record<string, unknown>>;
}

/**
 * Starts `node --import tsx <script>` in its own process group (killed with the test run, whatever
 * happens), with its output as lines and JSON log records.
 */
export function startNode(script: string, env: Record<string, string>, nodeArgs: string[] = []): RunningProcess {
  const started = startNodeScript(script, { NODE_NO_WARNINGS: '1', ...env }, [], nodeArgs);
  const lines = () => started.output().split('\n').filter((line) => line.trim());
  return {
    child: started.child,
    get lines() {
      return lines();
    },
    exited: started.exited,
    async stop(graceMs = 10_000) {
      if (started.child.exitCode !== null || started.child.signalCode !== null) return;
      started.signal('SIGTERM');
      const timer = setTimeout(() => started.signal('SIGKILL'), graceMs);
      await started.exited;
      clearTimeout(timer);
      // Workers of a cluster may outlive the primary by a moment.
      started.signal('SIGKILL');
    },
    async kill() {
      started.signal('SIGKILL');
      await started.exited;
    },
    records() {
      return lines().flatMap((line) => {
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
