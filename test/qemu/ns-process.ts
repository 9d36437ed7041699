import { type GroupProcess, startGroup } from '../support/group-process';

/** A process started inside a network namespace, in a process group of its own. */
export type NsProcess = GroupProcess;

/**
 * Starts `argv` inside namespace `ns` (`ip netns exec` execs it, so the pid is the command's),
 * from the repository root, with `env` added to this process's environment (undefined: unset).
 */
export function startInNamespace(ns: string, argv: string[], env: Record<string, string | undefined> = {}): NsProcess {
  return startGroup('ip', ['netns', 'exec', ns, ...argv], env);
}
