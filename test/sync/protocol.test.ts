import { serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyChanges } from '../../functions/sync/apply';
import { formatHlc } from '../../functions/domain/hlc';
import type { WireChange } from '../../functions/sync/wire';
import { inProcessHandler } from '../support/in-process';
import { nextReleaseMigrations, openAsNextRelease } from '../upgrade/next-release';
import { licensedInProcess, licensePayload, testVendor } from '../support/licensing';
import { freePort } from '../support/ports';
import { terminalState, wireChange } from '../support/wire-changes';

/* eslint-disable @typescript-eslint/no-explicit-any */

type InProcess = Awaited<ReturnType<typeof inProcessHandler>>;

const change = (entity: string, after: Record<string, unknown> | null, recordId?: string) => wireChange(entity, after, { recordId });

describe('the sync API between peers', () => {
  let h: InProcess;
  let peerToken: string;
  let schemaVersion: number;
  beforeAll(async () => {
    h = await inProcessHandler({ serverId: 'server-p' });
    peerToken = (await h.request('POST', '/api/v1/tokens', { token: h.adminToken, body: { role: 'peer', name: 'the-peer' } })).body.token;
    schemaVersion = (await h.request('GET', '/healthz')).body.schemaVersion;
  });
  afterAll(() => h?.close());

  const pull = (headers: Record<string, string>, query = 'after=0') => h.request('GET', `/api/v1/sync/changes?${query}`, { token: peerToken, headers });

  it('refuses a peer at another schema version with schema_mismatch, naming both versions', async () => {
    const res = await pull({ 'x-tandem-server-id': 'server-q', 'x-tandem-schema-version': String(schemaVersion + 1) });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ code: 'schema_mismatch', localSchemaVersion: schemaVersion, peerSchemaVersion: schemaVersion + 1 });
    expect(res.body.detail).toContain(`schema version ${schemaVersion}`);
    expect(res.body.detail).toContain(`at ${schemaVersion + 1}`);
  });

  it('refuses a peer that claims this server id, or sends a schema version that is not one', async () => {
    expect((await pull({ 'x-tandem-schema-version': 'latest' })).body.code).toBe('invalid_field');
    const same = await pull({ 'x-tandem-server-id': 'server-p', 'x-tandem-schema-version': String(schemaVersion) });
    expect(same.status).toBe(409);
    expect(same.body.code).toBe('same_server_id');
  });

  it('serves its own changes after a cursor, with the cursor to send next', async () => {
    const headers = { 'x-tandem-server-id': 'server-q', 'x-tandem-schema-version': String(schemaVersion) };
    for (const n of [1, 2, 3]) await h.request('POST', '/api/v1/terminal-servers', { token: h.adminToken, body: { name: `rds-${n}`, host: `10.0.0.${n}` } });
    const first = await pull(headers, 'after=0&limit=2');
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ serverId: 'server-p', schemaVersion, hasMore: true, pending: 3 });
    expect(first.body.changes.map((c: any) => c.after.name)).toEqual(['rds-1', 'rds-2']);
    const rest = await pull(headers, `after=${first.body.next}&limit=2`);
    expect(rest.body.changes.map((c: any) => c.after.name)).toEqual(['rds-3']);
    expect(rest.body).toMatchObject({ hasMore: false, pending: 1 });
    const none = await pull(headers, `after=${rest.body.next}`);
    expect(none.body).toMatchObject({ changes: [], pending: 0, next: rest.body.next });
  });

  it('refuses to serve changes under a single-server licence', async () => {
    const vendor = await testVendor();
    const single = await licensedInProcess(vendor);
    try {
      expect((await single.install(await vendor.sign(licensePayload(single.installationId)))).status).toBe(200);
      const token = (await single.request('POST', '/api/v1/tokens', { token: single.adminToken, body: { role: 'peer', name: 'p' } })).body.token;
      const res = await single.request('GET', '/api/v1/sync/changes', { token, headers: { 'x-tandem-server-id': 'x', 'x-tandem-schema-version': String(schemaVersion) } });
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('sync_not_licensed');
    } finally {
      single.close();
    }
  });
});

describe('a pull from a peer at another schema version', () => {
  let peer: InProcess;
  let puller: InProcess;
  let server: ReturnType<typeof serve>;
  let peerUrl: string;
  let token: string;
  beforeAll(async () => {
    peer = await inProcessHandler({ serverId: 'server-p' });
    token = (await peer.request('POST', '/api/v1/tokens', { token: peer.adminToken, body: { role: 'peer', name: 'q' } })).body.token;
    const port = await freePort();
    server = serve({ fetch: peer.app.fetch, hostname: '127.0.0.1', port });
    peerUrl = `http://127.0.0.1:${port}`;
    // The puller runs the next release: one migration ahead.
    puller = await inProcessHandler({ serverId: 'server-q', peerUrl, peerToken: token }, openAsNextRelease(nextReleaseMigrations()));
  });
  afterAll(async () => {
    await new Promise((r) => server?.close(r));
    peer?.close();
    puller?.close();
  });

  it('fails with schema_mismatch and says so in the status and in "synchronise now"', async () => {
    const result = await puller.app.services.sync.requestPull();
    expect(result.outcome).toBe('failed');
    expect(result.error?.code).toBe('schema_mismatch');
    const status = await puller.request('GET', '/api/v1/sync/status', { token: puller.adminToken });
    expect(status.body.lastError.code).toBe('schema_mismatch');
    expect(status.body.peer).toMatchObject({ reachable: true, error: { code: 'schema_mismatch' } });
    const run = await puller.request('POST', '/api/v1/sync/run', { token: puller.adminToken });
    expect(run.status).toBe(502);
    expect(run.body.code).toBe('schema_mismatch');
    expect(run.body.detail).toMatch(/schema version \d+ and the peer \(server-q\) at \d+/);
  });
});

describe('applying a pulled batch', () => {
  let h: InProcess;
  beforeAll(async () => {
    h = await inProcessHandler();
  });
  afterAll(() => h?.close());

  const apply = (changes: WireChange[]) => h.db.write((tx) => applyChanges(tx, { serverId: 'primary', at: new Date() }, changes));

  it('records a bad change as failed and applies the rest of the batch', async () => {
    const good1 = change('terminal', terminalState(crypto.randomUUID(), 'aa:bb:cc:05:00:01', 'good-1'));
    const unknownEntity = change('licence-of-the-future', { id: 'x1', createdAt: '2026-01-01T00:00:00.000Z' });
    const missingMac = change('terminal', { ...terminalState(crypto.randomUUID(), 'x', 'no-mac'), mac: null });
    const good2 = change('terminal', terminalState(crypto.randomUUID(), 'aa:bb:cc:05:00:02', 'good-2'));
    const outcome = await apply([good1, unknownEntity, missingMac, good2]);
    expect(outcome).toMatchObject({ applied: 2, failed: 2, conflicts: 0 });

    for (const c of [good1, good2]) expect((await h.request('GET', `/api/v1/terminals/${c.recordId}`, { token: h.adminToken })).status).toBe(200);
    expect((await h.request('GET', `/api/v1/terminals/${missingMac.recordId}`, { token: h.adminToken })).status).toBe(404);
    const failed = await h.request('GET', `/api/v1/changes/${missingMac.changeId}`, { token: h.adminToken });
    expect(failed.body).toMatchObject({ status: 'failed', origin: 'elsewhere' });
    // Refused by the same schema an API write passes, before the database sees it.
    expect(failed.body.error).toMatch(/mac: /);
    expect((await h.request('GET', `/api/v1/changes/${unknownEntity.changeId}`, { token: h.adminToken })).body.error).toMatch(/does not know the entity/);
    const status = await h.request('GET', '/api/v1/sync/status', { token: h.adminToken });
    expect(status.body.failedChanges).toBe(2);
    const audit = await h.request('GET', '/api/v1/audit-events?entity=terminal', { token: h.adminToken });
    expect(audit.body.items.filter((e: any) => e.action === 'sync.apply_failed')).toHaveLength(1);
    // The boot documents of the applied terminals are there.
    const relay = (await h.request('POST', '/api/v1/tokens', { token: h.adminToken, body: { role: 'relay', name: 'r' } })).body.token;
    expect((await h.request('GET', '/api/v1/boot/terminals/aa:bb:cc:05:00:02', { token: relay })).body.name).toBe('good-2');
  });

  it('changes nothing when the same batch arrives twice', async () => {
    const batch = [
      change('terminal', terminalState(crypto.randomUUID(), 'aa:bb:cc:05:00:11', 'twice-1')),
      change('terminal', terminalState(crypto.randomUUID(), 'aa:bb:cc:05:00:12', 'twice-2')),
    ];
    expect(await apply(batch)).toMatchObject({ applied: 2, duplicates: 0 });
    const before = await h.request('GET', '/api/v1/changes?limit=1000', { token: h.adminToken });
    expect(await apply(batch)).toMatchObject({ applied: 0, duplicates: 2 });
    const after = await h.request('GET', '/api/v1/changes?limit=1000', { token: h.adminToken });
    expect(after.body.total).toBe(before.body.total);
  });

  it('lets a later delete win over an earlier create arriving in the same batch, and keeps the tombstone', async () => {
    const id = crypto.randomUUID();
    const created = change('terminal', terminalState(id, 'aa:bb:cc:05:00:21', 'short-lived'));
    const deleted = { ...change('terminal', null, id), baseChangeId: created.changeId, before: created.after };
    expect(await apply([created, deleted])).toMatchObject({ applied: 2 });
    expect((await h.request('GET', `/api/v1/terminals/${id}`, { token: h.adminToken })).status).toBe(404);
    // A stale update made elsewhere before the delete arrives late: the delete stays in effect.
    const stale = { ...change('terminal', { ...terminalState(id, 'aa:bb:cc:05:00:21', 'short-lived'), hardwareModel: 'late' }), hlc: formatHlc({ wall: 1_780_000_000_000, counter: 0, node: 'third' }), origin: 'third', baseChangeId: created.changeId };
    expect(await apply([stale])).toMatchObject({ superseded: 1, conflicts: 1 });
    expect((await h.request('GET', `/api/v1/terminals/${id}`, { token: h.adminToken })).status).toBe(404);
  });
});

describe('a peer whose clock runs ahead', () => {
  let peer: InProcess;
  let puller: InProcess;
  let server: ReturnType<typeof serve>;
  const aheadMs = 10 * 60_000;
  beforeAll(async () => {
    peer = await inProcessHandler({ serverId: 'server-p', now: () => new Date(Date.now() + aheadMs) });
    const token = (await peer.request('POST', '/api/v1/tokens', { token: peer.adminToken, body: { role: 'peer', name: 'q' } })).body.token;
    const port = await freePort();
    server = serve({ fetch: peer.app.fetch, hostname: '127.0.0.1', port });
    puller = await inProcessHandler({ serverId: 'server-q', peerUrl: `http://127.0.0.1:${port}`, peerToken: token });
  });
  afterAll(async () => {
    await new Promise((r) => server?.close(r));
    peer?.close();
    puller?.close();
  });

  it('is named in the sync status and the metrics, and the pull still works', async () => {
    const created = await peer.request('POST', '/api/v1/terminals', { token: peer.adminToken, body: { mac: 'aa:bb:cc:05:00:31', name: 'from-the-future' } });
    expect(created.status).toBe(201);
    const run = await puller.request('POST', '/api/v1/sync/run', { token: puller.adminToken });
    expect(run.status).toBe(200);
    expect((await puller.request('GET', `/api/v1/terminals/${created.body.id}`, { token: puller.adminToken })).status).toBe(200);

    const status = (await puller.request('GET', '/api/v1/sync/status', { token: puller.adminToken })).body;
    expect(Math.abs(status.peer.clockSkewSeconds - aheadMs / 1000)).toBeLessThanOrEqual(5);
    expect(status.warnings).toEqual([expect.stringMatching(/^The clock of server-p is \d+ s ahead of this server's/)]);
    const metrics = await puller.request('GET', '/metrics', { token: puller.adminToken });
    const skew = Number(/^tandem_sync_peer_clock_skew_seconds (\S+)$/m.exec(metrics.body)?.[1]);
    expect(Math.abs(skew - aheadMs / 1000)).toBeLessThanOrEqual(5);
    // The peer sees nothing wrong with its own clock from its side: it does not pull here.
    expect((await peer.request('GET', '/api/v1/sync/status', { token: peer.adminToken })).body.warnings).toEqual([]);
  });
});
