import { freePort } from './ports';
import { apiClient, startHandler, type ApiClient, type HandlerProcess } from './handler';
import { waitFor } from '../../infra/local/processes';

export interface PairMember {
  handler: HandlerProcess;
  admin: ApiClient;
}

export interface Pair {
  a: PairMember;
  b: PairMember;
  /** Restarts a member (after kill or stop) with the same settings and data; returns the new member. */
  restart: (which: 'a' | 'b') => Promise<PairMember>;
  stop: () => Promise<void>;
}

/**
 * Two real handler processes on loopback, each with its own database, that know
 * each other as peers: `a` is the primary, `b` the secondary. Both are given the
 * same peer token, which each accepts (TANDEM_PEER_TOKEN is bootstrapped).
 */
export async function startPair(options: { mode: 'none' | 'mirrored' | 'full'; env?: Record<string, string>; envA?: Record<string, string>; envB?: Record<string, string> }): Promise<Pair> {
  const [portA, portB] = [await freePort(), await freePort()];
  const token = `tdm_test_pair_${portA}_${portB}`;
  const common = { TANDEM_SYNC_MODE: options.mode, TANDEM_PEER_TOKEN: token, TANDEM_SYNC_INTERVAL_MS: '60000', ...options.env };
  const members: Partial<Record<'a' | 'b', PairMember>> = {};
  const member = (handler: HandlerProcess): PairMember => ({ handler, admin: apiClient(handler.url, handler.adminToken) });
  try {
    const [a, b] = await Promise.all([
      startHandler({ port: portA, env: { ...common, TANDEM_SERVER_ID: 'server-a', TANDEM_ROLE: 'primary', TANDEM_PEER_URL: `http://127.0.0.1:${portB}`, ...options.envA } }),
      startHandler({ port: portB, env: { ...common, TANDEM_SERVER_ID: 'server-b', TANDEM_ROLE: 'secondary', TANDEM_PEER_URL: `http://127.0.0.1:${portA}`, ...options.envB } }),
    ]);
    members.a = member(a);
    members.b = member(b);
  } catch (err) {
    await Promise.all(Object.values(members).map((m) => m?.handler.kill()));
    throw err;
  }
  const pair: Pair = {
    a: members.a!,
    b: members.b!,
    restart: async (which) => {
      const next = member(await pair[which].handler.restart());
      pair[which] = next;
      return next;
    },
    stop: async () => {
      await Promise.all([pair.a.handler.stop(), pair.b.handler.stop()]);
    },
  };
  return pair;
}

/** Polls a GET on a member until `accept` holds for the answer. */
export async function eventually(api: ApiClient, path: string, accept: (res: { status: number; body: any }) => boolean, what: string, timeoutMs = 20_000) { // eslint-disable-line @typescript-eslint/no-explicit-any
  let last: { status: number; body: unknown } | null = null;
  return waitFor(
    async () => {
      const res = await api.get(path);
      last = res;
      return accept(res) ? res : null;
    },
    () => `${what}; last answer: ${JSON.stringify(last)?.slice(0, 500)}`,
    timeoutMs,
  );
}

/** Waits until each member has pulled everything the other has (lag 0 on both sides). */
export async function settled(pair: Pair, timeoutMs = 30_000): Promise<void> {
  for (const member of [pair.a, pair.b]) {
    await eventually(
      member.admin,
      '/api/v1/sync/status',
      (res) => res.status === 200 && (!res.body.direction.pulls || (res.body.peer.reachable === true && res.body.lag.changes === 0)),
      `${member.handler.url} to catch up with its peer`,
      timeoutMs,
    );
  }
}

/** Every record of the admin API's collections on a member, by id, for comparison between members. */
export async function configurationOf(api: ApiClient): Promise<Record<string, Record<string, unknown>>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const path of ['terminal-servers', 'display-clients', 'firmware-packages', 'groups', 'terminals']) {
    const items: { id: string }[] = [];
    for (let offset = 0; offset < 100_000; offset += 1000) {
      const res = await api.get(`/api/v1/${path}?limit=1000&offset=${offset}`);
      if (res.status !== 200) throw new Error(`GET ${path}: ${res.status}`);
      items.push(...res.body.items);
      if (items.length >= res.body.total) break;
    }
    out[path] = Object.fromEntries(items.map((r) => [r.id, r]));
  }
  return out;
}
