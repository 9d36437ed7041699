import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Runs a command (as root) and returns its stdout; throws with its stderr. */
export async function sh(argv: string[], timeoutMs = 15_000): Promise<string> {
  try {
    return (await run(argv[0], argv.slice(1), { timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024 })).stdout;
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`${argv.join(' ')}: ${e.stderr?.trim() || e.message}`);
  }
}

/** `ip …` in the namespace named, or in this process's own when ns is null. */
export const ip = (ns: string | null, ...args: string[]) => sh(['ip', ...(ns ? ['-n', ns] : []), ...args]);

/**
 * The prefix of the namespaces a test process makes, `<tag>-<pid>`: the pid tells leftovers of a
 * dead run apart, and the dash keeps one test's tag from matching another's (`tq` and `tqx`).
 */
export const namespacePrefix = (tag: string) => `${tag}-${process.pid.toString(36)}`;

/** A network namespace of its own, with loopback up. */
export async function createNamespace(name: string): Promise<string> {
  await ip(null, 'netns', 'add', name);
  await ip(name, 'link', 'set', 'lo', 'up');
  return name;
}

/** Kills whatever still runs in the namespace (its devices go with it), then deletes it. */
export async function deleteNamespace(name: string): Promise<void> {
  const pids = (await ip(null, 'netns', 'pids', name).catch(() => '')).split(/\s+/).filter(Boolean);
  for (const pid of pids) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  await ip(null, 'netns', 'del', name).catch(() => {});
}

/**
 * Deletes the namespaces `tag` names whose test process is gone (a run killed before its
 * clean-up), so that a crashed run leaves nothing behind for long. Namespaces of live
 * processes, and every other namespace, are left alone.
 */
export async function deleteLeftoverNamespaces(tag: string): Promise<void> {
  const names = (await ip(null, 'netns', 'list')).split('\n').map((line) => line.split(' ')[0]).filter(Boolean);
  for (const name of names) {
    const owner = new RegExp(`^${tag}-([0-9a-z]+)-`).exec(name)?.[1];
    if (!owner) continue;
    const pid = parseInt(owner, 36);
    if (pid === process.pid || alive(pid)) continue;
    await deleteNamespace(name);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** One end of a veth pair: its name, and the namespace it lives in (null: this process's own). */
export interface LinkEnd {
  ns: string | null;
  name: string;
}

/** A veth pair between two namespaces (both ends down until set up). */
export async function createVethPair(a: LinkEnd, b: LinkEnd): Promise<void> {
  await ip(null, 'link', 'add', a.name, ...(a.ns ? ['netns', a.ns] : []), 'type', 'veth', 'peer', 'name', b.name, ...(b.ns ? ['netns', b.ns] : []));
}

/** A bridge with no spanning tree and no forwarding delay: ports forward as soon as they are up. */
export async function createBridge(ns: string, name: string): Promise<void> {
  await ip(ns, 'link', 'add', name, 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0');
  await ip(ns, 'link', 'set', name, 'up');
}

export const setLink = (end: LinkEnd, state: 'up' | 'down') => ip(end.ns, 'link', 'set', end.name, state);

export const enslave = (end: LinkEnd, bridge: string) => ip(end.ns, 'link', 'set', end.name, 'master', bridge);

export const addAddress = (end: LinkEnd, cidr: string) => ip(end.ns, 'addr', 'add', cidr, 'dev', end.name);
