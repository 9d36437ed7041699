/**
 * npm run bench:config — resolved-configuration reads against the floor of a
 * single primary-key read, on the same Node handler and the same libSQL file.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { DEMO_PRIVATE_KEY_FILE } from '../../infra/demo/install-demo-license';
import { issueLicense } from '../../infra/license/issue';
import { apiClient, createToken, startHandler } from '../support/handler';
import { seedPlant } from './seed';

const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = 50;

async function measure(url: string, token: string, paths: string[]) {
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: DURATION,
    headers: { authorization: `Bearer ${token}` },
    requests: [{ setupRequest: (req) => ({ ...req, path: paths[Math.floor(Math.random() * paths.length)] }) }],
  });
  const ok = result['2xx'];
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`unexpected answers: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, ok };
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-bench-config-'));
  console.log('seeding 10,000 terminals in 100 groups nested 3 deep …');
  const seeded = await seedPlant(`file:${join(dir, 'bench.db')}`, 10_000, 100);
  const handler = await startHandler({ dataDir: dir, env: { TANDEM_SERVER_ID: 'bench', TANDEM_BENCH_REFERENCE: '1' } });
  try {
    const admin = apiClient(handler.url, handler.adminToken);
    const token = await createToken(admin, 'relay', 'bench-relay');
    const bootPaths = seeded.macs.map((m) => `/api/v1/boot/terminals/${m}`);
    const refPaths = seeded.terminalIds.map((id) => `/api/v1/bench/terminals/${id}`);
    // A licence for every terminal (demo key, which the handler trusts by default) …
    const { installationId } = (await admin.get('/api/v1/server')).body;
    const licence = await issueLicense(
      { customer: 'bench', redundancy: 'none', primary: installationId, products: [{ product: 'terminal-connection', quantity: seeded.macs.length, appliesTo: 'primary' }], expiresAt: null },
      readFileSync(DEMO_PRIVATE_KEY_FILE, 'utf8'),
    );
    const installed = await admin.call('PUT', '/api/v1/license', licence);
    if (installed.status !== 200) throw new Error(`installing the bench licence: ${JSON.stringify(installed.body)}`);
    // … and every terminal boots once and takes its lease, as on a running plant; what is
    // measured is the boot of a terminal that holds its lease.
    const relay = apiClient(handler.url, token);
    for (let i = 0; i < bootPaths.length; i += CONNECTIONS)
      await Promise.all(bootPaths.slice(i, i + CONNECTIONS).map(async (path) => {
        const res = await relay.get(path);
        if (res.status !== 200) throw new Error(`first boot ${path}: ${res.status} ${JSON.stringify(res.body)}`);
      }));
    await measure(handler.url, token, bootPaths.slice(0, 500)); // warm-up
    const reference = await measure(handler.url, token, refPaths);
    const resolved = await measure(handler.url, token, bootPaths);
    const row = (name: string, r: { rps: number; p50: number; p99: number }) =>
      `${name.padEnd(44)} ${r.rps.toFixed(0).padStart(8)} req/s   p50 ${String(r.p50).padStart(3)} ms   p99 ${String(r.p99).padStart(3)} ms`;
    console.log(`\nautocannon, ${CONNECTIONS} connections, ${DURATION} s each, random terminals of 10,000`);
    console.log(row('reference: one row by primary key', reference));
    console.log(row('resolved configuration (boot API)', resolved));
    console.log(`ratio resolved / reference: ${(resolved.rps / reference.rps).toFixed(2)} (target ≥ 0.80; p99 target ≤ 15 ms)`);
  } finally {
    await handler.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
