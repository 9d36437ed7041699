/**
 * npm run bench:dashboard — the dashboard's pages against the JSON API on the same Node handler
 * and the same 10,000-terminal database: requests/s and p99 of the overview and of a terminal-list
 * page (50 rows, a group filter applied), and of the JSON API's list of the same page.
 * Target: each page at least half the JSON list's requests/s.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { openDatabase } from '../../db/client';
import { terminalLeases, terminalStatus } from '../../db/schema';
import { signedIn } from '../support/dashboard-client';
import { apiClient, createToken, startHandler } from '../support/handler';
import { seedPlant } from './seed';

const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = 50;
const TERMINALS = 10_000;

interface Figures {
  rps: number;
  p50: number;
  p99: number;
}

async function measure(url: string, path: string, headers: Record<string, string>, duration = DURATION): Promise<Figures> {
  const result = await autocannon({ url: url + path, connections: CONNECTIONS, duration, headers });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${path}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 };
}

/** Check-ins and leases for most terminals, as on a running plant: the overview counts them. */
async function seedCheckIns(url: string, macs: string[]): Promise<void> {
  const db = await openDatabase(url);
  try {
    const now = Date.now();
    const status = macs.slice(0, Math.floor(macs.length * 0.9)).map((mac, i) => ({
      mac,
      lastBootAt: new Date(now - (i % 20) * 60_000).toISOString(),
      relayId: i % 2 ? 'relay-b' : 'relay-a',
      firmwareVersion: '1.0.0',
      source: i % 97 === 0 ? ('cache' as const) : ('live' as const),
    }));
    const leases = status.map((s) => ({ mac: s.mac, grantedAt: s.lastBootAt, renewedAt: s.lastBootAt, expiresAt: now + 7 * 86_400_000, relayId: s.relayId }));
    await db.write(async (tx) => {
      for (let i = 0; i < status.length; i += 200) await tx.insert(terminalStatus).values(status.slice(i, i + 200));
      for (let i = 0; i < leases.length; i += 200) await tx.insert(terminalLeases).values(leases.slice(i, i + 200));
    });
  } finally {
    db.close();
  }
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-bench-dashboard-'));
  const database = `file:${join(dir, 'bench.db')}`;
  console.log(`seeding ${TERMINALS.toLocaleString('en')} terminals in 100 groups nested 3 deep, with check-ins and leases …`);
  const seeded = await seedPlant(database, TERMINALS, 100);
  await seedCheckIns(database, seeded.macs);
  const handler = await startHandler({ dataDir: dir, env: { TANDEM_SERVER_ID: 'bench' } });
  try {
    const admin = apiClient(handler.url, handler.adminToken);
    for (const relay of ['relay-a', 'relay-b']) await createToken(admin, 'relay', relay);
    const viewer = await createToken(admin, 'viewer', 'bench-viewer');
    const groups = (await admin.get('/api/v1/groups?limit=1000')).body.items as { id: string; name: string }[];
    const leaf = groups.find((g) => g.name === 'line-0')!;
    const session = await signedIn((path, init) => fetch(handler.url + path, init), viewer);
    const cookie = { cookie: session.cookie };
    const bearer = { authorization: `Bearer ${viewer}` };

    const listPath = `/dashboard/terminals?group=${leaf.id}`;
    const jsonPath = `/api/v1/terminals?groupId=${leaf.id}&limit=50`;
    // The same 50 terminals on both.
    const page = await (await session.get(listPath)).text();
    const json = (await admin.get(jsonPath)).body as { items: { name: string }[]; total: number };
    const rows = [...page.matchAll(/<td><a href="\/dashboard\/terminals\/[^"]+">([^<]+)<\/a><\/td>/g)].map((m) => m[1]);
    if (rows.length !== 50 || JSON.stringify(rows) !== JSON.stringify(json.items.map((t) => t.name)))
      throw new Error(`the page and the JSON list differ: ${rows.length} rows vs ${json.items.length} items`);

    for (const [path, headers] of [['/dashboard', cookie], [listPath, cookie], [jsonPath, bearer]] as const) await measure(handler.url, path, headers, 2); // warm-up
    const api = await measure(handler.url, jsonPath, bearer);
    const overview = await measure(handler.url, '/dashboard', cookie);
    const list = await measure(handler.url, listPath, cookie);

    const row = (name: string, r: Figures) =>
      `${name.padEnd(52)} ${r.rps.toFixed(0).padStart(7)} req/s   p50 ${String(r.p50).padStart(3)} ms   p99 ${String(r.p99).padStart(3)} ms`;
    console.log(`\nautocannon, ${CONNECTIONS} connections, ${DURATION} s each, ${TERMINALS.toLocaleString('en')} terminals (${json.total} in the filtered group)`);
    console.log(row('JSON API: GET /api/v1/terminals?groupId=…&limit=50', api));
    console.log(row('dashboard: overview', overview));
    console.log(row('dashboard: terminals, a group filtered, 50 rows', list));
    for (const [name, r] of [['overview', overview], ['terminal list', list]] as const) {
      const ratio = r.rps / api.rps;
      console.log(`ratio ${name} / JSON list: ${ratio.toFixed(2)} (target ≥ 0.50)${ratio >= 0.5 ? '' : '  BELOW TARGET'}`);
    }
  } finally {
    await handler.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
