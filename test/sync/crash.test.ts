import { join } from 'node:path';
import { createClient } from '@libsql/client';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../infra/local/processes';
import type { ApiClient } from '../support/handler';
import { settled, startPair, type Pair } from '../support/pair';

/* eslint-disable @typescript-eslint/no-explicit-any */

const TOTAL = 2400;
const BATCH = 600;

/** The rows two servers must agree on, read straight from a database file, sorted. */
async function replicatedRows(file: string): Promise<Record<string, string[]>> {
  const client = createClient({ url: `file:${file}` });
  try {
    const out: Record<string, string[]> = {};
    const tables = ['terminal_servers', 'display_clients', 'firmware_packages', 'terminal_groups', 'terminals', 'resolved_configs', 'record_heads'];
    for (const table of tables) out[table] = (await client.execute(`SELECT * FROM "${table}"`)).rows.map((r) => JSON.stringify(r)).sort();
    // The log, without what is local to each server (its own order, when it received a change).
    out.change_log = (
      await client.execute('SELECT change_id, entity, record_id, operation, before, after, hlc, origin, base_change_id, actor, at, status, revert_of FROM change_log')
    ).rows
      .map((r) => JSON.stringify(r))
      .sort();
    return out;
  } finally {
    client.close();
  }
}

async function count(file: string, sql: string): Promise<number> {
  const client = createClient({ url: `file:${file}` });
  try {
    return Number((await client.execute(sql)).rows[0][0]);
  } finally {
    client.close();
  }
}

async function createTerminals(api: ApiClient, total: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < total; i = next++) {
      const hex = i.toString(16).padStart(4, '0');
      const res = await api.post('/api/v1/terminals', { mac: `aa:bb:cc:03:${hex.slice(0, 2)}:${hex.slice(2)}`, name: `bulk-${i}`, options: { slot: i } });
      if (res.status !== 201) throw new Error(`create ${i}: ${res.status} ${JSON.stringify(res.body)}`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

describe('a handler killed with SIGKILL while applying a large batch', () => {
  let pair: Pair;
  afterAll(async () => {
    await pair?.stop();
  });

  it('loses no change and applies none twice once restarted', async () => {
    pair = await startPair({ mode: 'full', env: { TANDEM_SYNC_BATCH: String(BATCH) } });
    expect((await pair.b.admin.post('/api/v1/sync/pause', {})).status).toBe(200);
    // What B already holds of A's (the licence, installed on A).
    const before = (await pair.b.admin.get('/api/v1/changes?server=server-a&limit=1')).body.total as number;
    await createTerminals(pair.a.admin, TOTAL);
    // A change on B too, so that the log B serves is not empty.
    expect((await pair.b.admin.post('/api/v1/groups', { name: 'made-on-b' })).status).toBe(201);

    // Kill B the moment it announces a batch, before it can commit it.
    const b = pair.b.handler;
    let killed = false;
    b.child.stdout!.on('data', (chunk: Buffer) => {
      if (!killed && chunk.toString().includes('"msg":"applying batch"')) {
        killed = true;
        b.signal('SIGKILL');
      }
    });
    expect((await pair.b.admin.post('/api/v1/sync/resume', {}).catch(() => ({ status: 200 }))).status).toBe(200);
    await waitFor(async () => killed, () => `B to start applying a batch; output:\n${b.output().slice(-2000)}`);
    await b.exited;

    const fileB = join(b.dataDir, 'server-b.db');
    const appliedBeforeRestart = await count(fileB, "SELECT count(*) FROM change_log WHERE origin = 'server-a'");
    expect(appliedBeforeRestart - before).toBeLessThan(TOTAL);
    expect((appliedBeforeRestart - before) % BATCH).toBe(0); // whole batches or nothing

    await pair.restart('b');
    await settled(pair, 60_000);
    await pair.stop();

    const fileA = join(pair.a.handler.dataDir, 'server-a.db');
    const [rowsA, rowsB] = [await replicatedRows(fileA), await replicatedRows(fileB)];
    expect(rowsA.terminals).toHaveLength(TOTAL);
    for (const table of Object.keys(rowsA)) expect(rowsB[table], `${table} differs`).toEqual(rowsA[table]);
    // Each of A's changes is in B's log exactly once.
    expect(await count(fileB, "SELECT count(*) FROM change_log WHERE origin = 'server-a'")).toBe(before + TOTAL);
    expect(await count(fileB, "SELECT count(DISTINCT change_id) FROM change_log WHERE origin = 'server-a'")).toBe(before + TOTAL);
    expect(await count(fileB, 'SELECT count(*) FROM sync_conflicts')).toBe(0);
  }, 300_000);
});
