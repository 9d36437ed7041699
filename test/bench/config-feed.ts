/**
 * npm run bench:config-feed — what keeping every terminal's configuration on every relay costs:
 * how long a new relay takes to fill its cache from a handler (1,000 and 10,000 terminals; set
 * BENCH_TERMINALS, e.g. "1000"), and what a relay's "nothing changed" poll costs the handler
 * (CPU per poll, and autocannon throughput beside /healthz, which relays already probe).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { openDatabase } from '../../db/client';
import { createApp } from '../../functions/app';
import { waitFor } from '../../infra/local/processes';
import { startTestRelay } from '../relay/support/relay-process';
import { apiClient, createToken, startHandler, type HandlerProcess } from '../support/handler';
import { seedPlant } from './seed';

const COUNTS = (process.env.BENCH_TERMINALS ?? '1000,10000').split(',').map(Number);
const POLLS = 5000;

/** CPU seconds the process has used (user + system), from /proc. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function throughput(url: string, path: string, token: string) {
  const result = await autocannon({ url: url + path, connections: 10, duration: 5, headers: { authorization: `Bearer ${token}` } });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${path}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return `${result.requests.average.toFixed(0).padStart(6)} req/s  p50 ${result.latency.p50} ms  p99 ${result.latency.p99} ms`;
}

async function run(count: number) {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-bench-feed-'));
  let handler: HandlerProcess | null = null;
  try {
    const seeded = await seedPlant(`file:${join(dir, 'bench.db')}`, count, 100);
    handler = await startHandler({ dataDir: dir, env: { TANDEM_SERVER_ID: 'bench' } });
    const token = await createToken(apiClient(handler.url, handler.adminToken), 'relay', 'bench-relay');

    // A new relay, empty cache: process start to ready, and the fill alone (its own log line).
    const started = performance.now();
    const relay = await startTestRelay({ RELAY_HANDLERS: handler.url, RELAY_TOKEN: token, RELAY_CONFIG_POLL_MS: '2000' });
    let fillMs = 0;
    let terminals = 0;
    try {
      await waitFor(async () => {
        const ready = relay.process.records().find((r) => r.event === 'config_cache_ready');
        if (ready) [fillMs, terminals] = [Number(ready.ms), Number(ready.terminals)];
        return ready;
      }, () => 'relay ready', 600_000);
      const toReady = performance.now() - started;
      if (terminals !== count) throw new Error(`relay holds ${terminals} of ${count} terminals`);
      const bytes = Number((await (await fetch(`${handler.url}/api/v1/boot/terminals/${seeded.macs[0]}`, { headers: { authorization: `Bearer ${token}` } })).text()).length);
      console.log(`\n${count} terminals (documents of about ${bytes} bytes)`);
      console.log(`  fill a new relay's cache: ${(fillMs / 1000).toFixed(2)} s (load, feed walk in pages of 500, one file each), ${(toReady / 1000).toFixed(2)} s from process start`);

      // A change reaches the relay's cache within a poll.
      const changedAt = performance.now();
      const admin = apiClient(handler.url, handler.adminToken);
      const res = await admin.patch(`/api/v1/terminals/${seeded.terminalIds[0]}`, { videoResolution: '800x600' });
      if (res.status !== 200) throw new Error(`change: ${res.status}`);
      const file = join(relay.cacheDir, 'configs', `${seeded.macs[0].replace(/:/g, '-')}.json`);
      await waitFor(async () => readFileSync(file, 'utf8').includes('800x600'), () => 'change on the relay', 30_000);
      console.log(`  a change on the handler in the relay's cache: ${((performance.now() - changedAt) / 1000).toFixed(2)} s (poll every 2 s)`);
    } finally {
      await relay.stop();
    }

    // The poll a relay makes every 2 s when nothing changed: sequential, CPU measured on the handler.
    const walk = await (await fetch(`${handler.url}/api/v1/boot/documents?limit=1`, { headers: { authorization: `Bearer ${token}` } })).json();
    let cursor = walk.cursor as string;
    for (let more = true, i = 0; more && i < 100_000; i++) {
      const page = await (await fetch(`${handler.url}/api/v1/boot/documents?limit=1000&after=${encodeURIComponent(cursor)}`, { headers: { authorization: `Bearer ${token}` } })).json();
      [cursor, more] = [page.cursor, page.more];
    }
    const poll = `/api/v1/boot/documents?after=${encodeURIComponent(cursor)}`;
    const sample = await (await fetch(handler.url + poll, { headers: { authorization: `Bearer ${token}` } })).text();
    const pid = handler.child.pid!;
    const cpuBefore = cpuSeconds(pid);
    const wallBefore = performance.now();
    for (let i = 0; i < POLLS; i++) await (await fetch(handler.url + poll, { headers: { authorization: `Bearer ${token}` } })).arrayBuffer();
    const cpuPerPoll = ((cpuSeconds(pid) - cpuBefore) / POLLS) * 1e6;
    const wallPerPoll = ((performance.now() - wallBefore) / POLLS) * 1000;
    console.log(`  "nothing changed" poll: ${sample.length} bytes answered, ${cpuPerPoll.toFixed(0)} µs handler CPU each (${POLLS} sequential, ${wallPerPoll.toFixed(0)} µs round trip)`);
    console.log(`    autocannon, 10 connections, 5 s: ${await throughput(handler.url, poll, token)}`);
    console.log(`    the same against /healthz:      ${await throughput(handler.url, '/healthz', token)}`);
    await handler.stop();
    handler = null;

    // The handler's own work for that poll, without HTTP: in memory (Node) and read from the database (Workers, a libSQL server).
    const db = await openDatabase(`file:${join(dir, 'bench.db')}`);
    try {
      for (const leaseView of ['process', 'database'] as const) {
        const app = createApp({ db, serverId: 'bench', role: 'primary', now: () => new Date(), log: () => {}, licensing: { leaseView } });
        const ask = async () => {
          const res = await app.request(poll, { headers: { authorization: `Bearer ${token}` } });
          if (res.status !== 200) throw new Error(`poll: ${res.status} ${await res.text()}`);
          await res.arrayBuffer();
        };
        for (let i = 0; i < 200; i++) await ask();
        const at = performance.now();
        for (let i = 0; i < POLLS; i++) await ask();
        console.log(`    in the app, no socket (${leaseView === 'process' ? 'Node: documents in memory' : 'Workers: read from the database'}): ${(((performance.now() - at) / POLLS) * 1000).toFixed(0)} µs a poll`);
      }
    } finally {
      db.close();
    }
  } finally {
    await handler?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  for (const count of COUNTS) await run(count);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
