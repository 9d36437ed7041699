/**
 * `npm run bench:licensed-boot`: what licensing costs the boot route. Seeds
 * 10,000 terminals, installs a demo licence for all of them, lets every terminal
 * take its lease, then measures with autocannon (50 connections) resolved boots
 * of random leased terminals against the reference route (one row by primary
 * key) on the same handler. A leased terminal's boot must stay one database read.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../db/client';
import { terminals } from '../../db/schema';
import { refreshResolvedConfigs } from '../../functions/services/resolved-configs';
import { DEMO_PRIVATE_KEY_FILE } from '../../infra/demo/install-demo-license';
import { issueLicense } from '../../infra/license/issue';
import { apiClient, createToken, startHandler } from '../support/handler';
import { testMac } from '../support/licensing';

type AutocannonResult = { requests: { average: number }; latency: { p50: number; p99: number }; non2xx: number };
const autocannon = createRequire(import.meta.url)('autocannon') as (options: Record<string, unknown>) => Promise<AutocannonResult>;

const TERMINALS = Number(process.env.BENCH_TERMINALS ?? 10_000);
const DURATION = Number(process.env.BENCH_SECONDS ?? 10);

async function seed(dataDir: string): Promise<string[]> {
  const db = await openDatabase(`file:${join(dataDir, 'primary.db')}`);
  const stamp = new Date().toISOString();
  const rows = Array.from({ length: TERMINALS }, (_, i) => ({ id: crypto.randomUUID(), mac: testMac(i + 1), name: `bench-${i + 1}`, createdAt: stamp, updatedAt: stamp }));
  await db.write(async (tx) => {
    for (let i = 0; i < rows.length; i += 500) await tx.insert(terminals).values(rows.slice(i, i + 500));
    await refreshResolvedConfigs(tx, 'all');
  });
  db.close();
  return rows.map((r) => r.id);
}

async function measure(url: string, token: string, path: () => string) {
  const result = await autocannon({
    url,
    connections: 50,
    duration: DURATION,
    headers: { authorization: `Bearer ${token}` },
    requests: [{ method: 'GET', setupRequest: (req: Record<string, unknown>) => ({ ...req, path: path() }) }],
  });
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, non2xx: result.non2xx };
}

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'tandem-bench-'));
  const ids = await seed(dataDir);
  const handler = await startHandler({ dataDir, env: { TANDEM_BENCH_REFERENCE: '1' } });
  try {
    const admin = apiClient(handler.url, handler.adminToken);
    const relayToken = await createToken(admin, 'relay');
    const relay = apiClient(handler.url, relayToken);
    const { installationId } = (await admin.get('/api/v1/server')).body;
    const licence = await issueLicense(
      { customer: 'bench', redundancy: 'none', primary: installationId, products: [{ product: 'terminal-connection', quantity: TERMINALS, appliesTo: 'primary' }], expiresAt: null },
      readFileSync(DEMO_PRIVATE_KEY_FILE, 'utf8'),
    );
    const installed = await admin.call('PUT', '/api/v1/license', licence);
    if (installed.status !== 200) throw new Error(`licence: ${JSON.stringify(installed.body)}`);

    // Every terminal boots once and takes its lease (50 at a time, as relays would).
    const started = performance.now();
    for (let i = 0; i < TERMINALS; i += 50)
      await Promise.all(Array.from({ length: Math.min(50, TERMINALS - i) }, (_, k) => relay.get(`/api/v1/boot/terminals/${testMac(i + k + 1)}`)));
    const leases = (await admin.get('/api/v1/license')).body.servers[0].leases;
    console.log(`first boots: ${TERMINALS} terminals took ${leases} leases in ${((performance.now() - started) / 1000).toFixed(1)} s`);

    const random = (n: number) => Math.floor(Math.random() * n);
    const boot = await measure(handler.url, relayToken, () => `/api/v1/boot/terminals/${testMac(random(TERMINALS) + 1)}`);
    const reference = await measure(handler.url, relayToken, () => `/api/v1/bench/terminals/${ids[random(ids.length)]}`);
    console.log(`licensed boot (leased terminals): ${boot.rps.toFixed(0)} req/s, p50 ${boot.p50} ms, p99 ${boot.p99} ms, non-2xx ${boot.non2xx}`);
    console.log(`reference (one primary-key read): ${reference.rps.toFixed(0)} req/s, p50 ${reference.p50} ms, p99 ${reference.p99} ms, non-2xx ${reference.non2xx}`);
    console.log(`ratio: ${(boot.rps / reference.rps).toFixed(2)} (target ≥ 0.8)`);
  } finally {
    await handler.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
