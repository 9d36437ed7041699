/**
 * npm run bench:sync — two real handlers in full redundancy on loopback, each with
 * its own database:
 *  1. propagation lag of single writes on A until B serves them (target p99 ≤ 500 ms);
 *  2. time to converge after a partition in which each side made 10,000 changes,
 *     1,000 of them to records the other side changed too (target ≤ 10 s).
 */
import { readFileSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import type { ApiClient } from '../support/handler';
import { configurationOf, startPair, type Pair } from '../support/pair';

const LAG_WRITES = Number(process.env.SYNC_BENCH_LAG_WRITES ?? 200);
const CHANGES = Number(process.env.SYNC_BENCH_CHANGES ?? 10_000);
const SHARED = Math.min(1000, Math.floor(CHANGES / 10));
const CONCURRENCY = 8;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
const mac = (prefix: number, i: number) => {
  const hex = i.toString(16).padStart(6, '0');
  return `aa:${prefix.toString(16).padStart(2, '0')}:00:${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4)}`;
};

async function inParallel(count: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    for (let i = next++; i < count; i = next++) await work(i);
  }));
}

async function expectStatus(res: Promise<{ status: number; body: unknown }>, status: number, what: string) {
  const r = await res;
  if (r.status !== status) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
  return r as { status: number; body: any }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

async function propagationLag(pair: Pair): Promise<number[]> {
  const lags: number[] = [];
  for (let i = 0; i < LAG_WRITES + 20; i++) {
    const created = await expectStatus(pair.a.admin.post('/api/v1/terminals', { mac: mac(1, i), name: `lag-${i}` }), 201, 'write on A');
    const committed = performance.now();
    for (let polls = 0; ; polls++) {
      if ((await pair.b.admin.get(`/api/v1/terminals/${created.body.id}`)).status === 200) break;
      if (polls > 10_000) throw new Error(`write ${i} never reached B`);
      await sleep(2);
    }
    if (i >= 20) lags.push(performance.now() - committed); // the first 20 warm up both servers
  }
  return lags.sort((x, y) => x - y);
}

async function partitionWrites(api: ApiClient, side: number, shared: string[]): Promise<void> {
  const creates = CHANGES - shared.length;
  await inParallel(creates, async (i) => {
    await expectStatus(api.post('/api/v1/terminals', { mac: mac(0x10 + side, i), name: `side${side}-${i}`, options: { slot: i } }), 201, 'partition create');
  });
  await inParallel(shared.length, async (i) => {
    await expectStatus(api.patch(`/api/v1/terminals/${shared[i]}`, { hardwareModel: `edited-on-${side}`, options: { side } }), 200, 'partition update');
  });
}

/** CPU seconds a process has used (Linux /proc), to separate the work done from the machine's load. */
function cpuSeconds(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks of 1/100 s
  } catch {
    return NaN;
  }
}
const handlersCpu = (pair: Pair) => cpuSeconds(pair.a.handler.child.pid) + cpuSeconds(pair.b.handler.child.pid);

async function lagOf(api: ApiClient): Promise<number | null> {
  const res = await api.get('/api/v1/sync/status');
  return res.status === 200 && res.body.peer.reachable ? res.body.lag.changes : null;
}

async function main() {
  console.log('starting two handlers in full redundancy on loopback …');
  const pair = await startPair({ mode: 'full' });
  try {
    console.log(`propagation: ${LAG_WRITES} single writes on A, each polled on B until it is served …`);
    const lags = await propagationLag(pair);

    console.log(`partition: ${SHARED} shared terminals, then ${CHANGES} changes on each side while paused …`);
    const shared: string[] = [];
    await inParallel(SHARED, async (i) => {
      shared[i] = (await expectStatus(pair.a.admin.post('/api/v1/terminals', { mac: mac(2, i), name: `shared-${i}` }), 201, 'shared create')).body.id;
    });
    for (let i = 0; i < 600 && ((await lagOf(pair.b.admin)) !== 0 || (await lagOf(pair.a.admin)) !== 0); i++) await sleep(100);
    await Promise.all([pair.a.admin.post('/api/v1/sync/pause', {}), pair.b.admin.post('/api/v1/sync/pause', {})]);
    const writing = performance.now();
    await Promise.all([partitionWrites(pair.a.admin, 1, shared), partitionWrites(pair.b.admin, 2, shared)]);
    const wrote = (performance.now() - writing) / 1000;

    const cpuBefore = handlersCpu(pair);
    const resumed = performance.now();
    await Promise.all([pair.a.admin.post('/api/v1/sync/resume', {}), pair.b.admin.post('/api/v1/sync/resume', {})]);
    let converged = 0;
    let cpuUsed = NaN;
    for (let i = 0; i < 6000; i++) {
      const [la, lb] = await Promise.all([lagOf(pair.a.admin), lagOf(pair.b.admin)]);
      if (la === 0 && lb === 0) {
        converged = (performance.now() - resumed) / 1000;
        cpuUsed = handlersCpu(pair) - cpuBefore;
        break;
      }
      await sleep(50);
    }
    if (!converged) throw new Error('the pair did not converge within 5 minutes');

    const [configA, configB] = [await configurationOf(pair.a.admin), await configurationOf(pair.b.admin)];
    const identical = JSON.stringify(configA) === JSON.stringify(configB);
    const conflicts = [(await pair.a.admin.get('/api/v1/sync/status')).body.openConflicts, (await pair.b.admin.get('/api/v1/sync/status')).body.openConflicts];

    const fmt = (ms: number) => `${ms.toFixed(1)} ms`;
    console.log('\nbench:sync — two handlers, full redundancy, loopback');
    console.log(`propagation lag, write committed on A → served by B (${lags.length} writes): p50 ${fmt(percentile(lags, 50))}   p99 ${fmt(percentile(lags, 99))}   max ${fmt(lags[lags.length - 1])}   (target p99 ≤ 500 ms)`);
    console.log(`partition: ${CHANGES} changes on each side (${SHARED} to records changed on both), written in ${wrote.toFixed(1)} s`);
    console.log(`time to converge after resume: ${converged.toFixed(2)} s   (target ≤ 10 s); CPU used by both handlers meanwhile ${cpuUsed.toFixed(1)} s; machine load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
    console.log(`terminals on each side: ${Object.keys(configA.terminals).length}; configurations identical: ${identical}; open conflicts A ${conflicts[0]}, B ${conflicts[1]}`);
    if (!identical) process.exitCode = 1;
  } finally {
    await pair.stop();
    for (const m of [pair.a, pair.b]) rmSync(m.handler.dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
