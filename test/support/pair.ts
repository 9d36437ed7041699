import { randomUUID } from 'node:crypto';
import { freePort } from './ports';
import { apiClient, startHandler, type ApiClient, type HandlerProcess } from './handler';
import { waitFor } from '../../infra/local/processes';
import { pairLicensePayload, testVendor, type TestVendor } from './licensing';

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
 * same peer token, which each accepts (TANDEM_PEER_TOKEN is bootstrapped), and a
 * vendor key made for the test. A pair licence for `mode`, signed with that key,
 * is installed on `a` and reaches `b` by synchronisation, as in the field.
 */
export async function startPair(options: {
  mode: 'mirrored' | 'full';
  env?: Record<string, string>;
  envA?: Record<string, string>;
  envB?: Record<string, string>;
  /** Members that must hold the licence before the pair is handed out (default both). */
  licensed?: ('a' | 'b')[];
  /** Runs before the licence is installed, while both servers still take writes (tokens on a future mirrored secondary). */
  prepare?: (pair: Pair) => Promise<void>;
}): Promise<Pair> {
  const vendor = await testVendor();
  const [portA, portB] = [await freePort(), await freePort()];
  const token = `tdm_test_pair_${portA}_${portB}_${randomUUID()}`;
  const common = { TANDEM_PEER_TOKEN: token, TANDEM_SYNC_INTERVAL_MS: '60000', TANDEM_LICENSE_PUBLIC_KEY: vendor.publicKey, ...options.env };
  const member = (handler: HandlerProcess): PairMember => ({ handler, admin: apiClient(handler.url, handler.adminToken) });
  const started = await Promise.allSettled([
    startHandler({ port: portA, env: { ...common, TANDEM_SERVER_ID: 'server-a', TANDEM_ROLE: 'primary', TANDEM_PEER_URL: `http://127.0.0.1:${portB}`, ...options.envA } }),
    startHandler({ port: portB, env: { ...common, TANDEM_SERVER_ID: 'server-b', TANDEM_ROLE: 'secondary', TANDEM_PEER_URL: `http://127.0.0.1:${portA}`, ...options.envB } }),
  ]);
  const running = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  if (running.length < 2) {
    await Promise.all(running.map((h) => h.kill()));
    throw (started.find((s) => s.status === 'rejected') as PromiseRejectedResult).reason;
  }
  const pair: Pair = {
    a: member(running[0]),
    b: member(running[1]),
    restart: async (which) => {
      const next = member(await pair[which].handler.restart());
      pair[which] = next;
      return next;
    },
    stop: async () => {
      await Promise.all([pair.a.handler.stop(), pair.b.handler.stop()]);
    },
  };
  try {
    await options.prepare?.(pair);
    await installPairLicence(pair, vendor, options.mode, options.licensed ?? ['a', 'b']);
  } catch (err) {
    await Promise.all([pair.a.handler.kill(), pair.b.handler.kill()]);
    throw err;
  }
  return pair;
}

/** Signs a pair licence naming both members' installation ids, installs it on the primary, and waits until `licensed` run under it. */
export async function installPairLicence(pair: Pair, vendor: TestVendor, mode: 'mirrored' | 'full', licensed: ('a' | 'b')[]): Promise<void> {
  const [a, b] = await Promise.all([pair.a, pair.b].map(async (m) => (await m.admin.get('/api/v1/server')).body.installationId as string));
  const installed = await pair.a.admin.call('PUT', '/api/v1/license', await vendor.sign(pairLicensePayload(a, b, mode, 100)));
  if (installed.status !== 200) throw new Error(`installing the licence: ${installed.status} ${JSON.stringify(installed.body)}`);
  for (const which of licensed) await eventually(pair[which].admin, '/api/v1/license', (r) => r.body?.mode === mode, `${which} to run under the ${mode} licence`);
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
