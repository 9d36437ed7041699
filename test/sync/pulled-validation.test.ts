import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyChanges } from '../../functions/sync/apply';
import { peerClient } from '../../functions/sync/peer-client';
import type { WireChange } from '../../functions/sync/wire';
import { inProcessHandler } from '../support/in-process';
import { freePort } from '../support/ports';
import { terminalState, wireChange } from '../support/wire-changes';

/* eslint-disable @typescript-eslint/no-explicit-any */

type InProcess = Awaited<ReturnType<typeof inProcessHandler>>;

const AT = '2026-06-01T00:00:00.000Z';
const terminal = (mac: string, name: string, extra: Record<string, unknown> = {}) => terminalState(crypto.randomUUID(), mac, name, AT, extra);
const change = (entity: string, after: Record<string, unknown> | null, recordId?: string, wall = Date.now() - 60_000) => wireChange(entity, after, { recordId, wall });

describe('a change pulled from the peer passes the rules of an API write', () => {
  let h: InProcess;
  beforeAll(async () => {
    h = await inProcessHandler();
  });
  afterAll(() => h?.close());

  const apply = (changes: WireChange[]) => h.db.write((tx) => applyChanges(tx, { serverId: 'primary', at: new Date() }, changes));
  const admin = (method: string, path: string) => h.request(method, path, { token: h.adminToken });
  const errorOf = async (c: WireChange) => (await admin('GET', `/api/v1/changes/${c.changeId}`)).body;

  it('refuses what the API refuses, records each as failed with its reason, and applies the rest of the batch', async () => {
    const good = change('terminal', terminal('aa:bb:cc:06:00:01', 'good'));
    const badMac = change('terminal', terminal('not-a-mac', 'bad-mac'));
    const unstoredMac = change('terminal', terminal('AA-BB-CC-06-00-02', 'upper-case-mac'));
    const traversal = change('firmware-package', { id: crypto.randomUUID(), version: 1, createdAt: AT, updatedAt: AT, name: 'fw', packageVersion: '1', objectKey: '../../etc/passwd', sha256: 'a'.repeat(64), size: 1 });
    const unknownEnum = change('display-client', { id: crypto.randomUUID(), version: 1, createdAt: AT, updatedAt: AT, name: 'dc', type: 'telnet', settings: {}, terminalServerIds: [], failoverMode: 'none' });
    const badPort = change('terminal-server', { id: crypto.randomUUID(), version: 1, createdAt: AT, updatedAt: AT, name: 'ts', host: 'ts1', port: 70000, enabled: true });
    const unknownGroup = change('terminal', terminal('aa:bb:cc:06:00:03', 'nowhere', { groupId: crypto.randomUUID() }));
    const future = change('terminal', terminal('aa:bb:cc:06:00:04', 'from-the-future'), undefined, Date.now() + 365 * 86_400_000);

    const outcome = await apply([good, badMac, unstoredMac, traversal, unknownEnum, badPort, unknownGroup, future]);
    expect(outcome).toMatchObject({ applied: 1, failed: 7 });

    expect((await admin('GET', `/api/v1/terminals/${good.recordId}`)).status).toBe(200);
    for (const c of [badMac, unstoredMac, unknownGroup, future]) expect((await admin('GET', `/api/v1/terminals/${c.recordId}`)).status).toBe(404);
    expect((await admin('GET', '/api/v1/firmware-packages')).body.total).toBe(0);
    expect((await admin('GET', '/api/v1/display-clients')).body.total).toBe(0);
    expect((await admin('GET', '/api/v1/terminal-servers')).body.total).toBe(0);

    expect(await errorOf(badMac)).toMatchObject({ status: 'failed', error: expect.stringMatching(/mac/) });
    expect((await errorOf(unstoredMac)).error).toMatch(/stored form/);
    expect((await errorOf(traversal)).error).toMatch(/objectKey/);
    expect((await errorOf(unknownEnum)).error).toMatch(/type/);
    expect((await errorOf(badPort)).error).toMatch(/port/);
    expect((await errorOf(unknownGroup)).error).toMatch(/groupId names group .* which does not exist/);
    expect((await errorOf(future)).error).toMatch(/ahead of this server's clock/);
    const status = (await admin('GET', '/api/v1/sync/status')).body;
    expect(status.failedChanges).toBe(7);
  });

  it('applies a reference to a record deleted here at the same time, so that both servers converge', async () => {
    const group = await h.request('POST', '/api/v1/groups', { token: h.adminToken, body: { name: 'line-9' } });
    expect((await h.request('DELETE', `/api/v1/groups/${group.body.id}`, { token: h.adminToken })).status).toBe(204);
    const intoDeleted = change('terminal', terminal('aa:bb:cc:06:00:05', 'into-deleted', { groupId: group.body.id }));
    expect(await apply([intoDeleted])).toMatchObject({ applied: 1, failed: 0 });
    const status = (await admin('GET', '/api/v1/sync/status')).body;
    expect(status.danglingReferences).toEqual(expect.arrayContaining([expect.objectContaining({ id: intoDeleted.recordId })]));
  });

  it('never deletes the licence nor rolls it back, from the peer or by a revert', async () => {
    const file = (issuedAt: string, id: string) => JSON.stringify({ payload: { licenseId: id, issuedAt }, signature: 'x' });
    const record = (issuedAt: string, id: string, version: number) => ({ id: 'installed', version, createdAt: AT, updatedAt: AT, licenseId: id, file: file(issuedAt, id) });
    const first = change('license', record('2026-05-01T00:00:00Z', 'LIC-NEW', 1));
    expect(await apply([first])).toMatchObject({ applied: 1 });
    const older = { ...change('license', record('2026-01-01T00:00:00Z', 'LIC-OLD', 2)), operation: 'update' as const, baseChangeId: first.changeId };
    const tombstone = { ...change('license', null, 'installed'), baseChangeId: first.changeId };
    expect(await apply([older, tombstone])).toMatchObject({ applied: 0, failed: 2 });
    expect((await errorOf(older)).error).toMatch(/not newer/);
    expect((await errorOf(tombstone)).error).toMatch(/never deleted/);
    expect((await h.db.client.execute("SELECT license_id FROM licenses WHERE id = 'installed'")).rows[0].license_id).toBe('LIC-NEW');

    const operator = (await h.request('POST', '/api/v1/tokens', { token: h.adminToken, body: { role: 'operator', name: 'op' } })).body.token;
    for (const token of [operator, h.adminToken]) {
      const revert = await h.request('POST', `/api/v1/changes/${first.changeId}/revert?force=true`, { token });
      expect(revert.status).toBe(403);
      expect(revert.body.code).toBe('license_revert_refused');
    }
    expect((await h.db.client.execute("SELECT count(*) AS n FROM licenses")).rows[0].n).toBe(1);
  });
});

describe('a snapshot from a peer passes the same rules', () => {
  let h: InProcess;
  let peer: ReturnType<typeof serve>;
  let good: ReturnType<typeof terminal>;
  beforeAll(async () => {
    const port = await freePort();
    h = await inProcessHandler({ serverId: 'newcomer', peerUrl: `http://127.0.0.1:${port}`, peerToken: 'tdm_peer_token_of_a_forged_peer_0123456789abcdef' });
    good = terminal('aa:bb:cc:07:00:01', 'copied');
    const identity = { serverId: 'forged-peer', logId: 'log-1', schemaVersion: h.db.schemaVersion, head: 0 };
    // A peer that answers the sync API with records no API write could make.
    const forged = new Hono()
      .get('/api/v1/sync/changes', (c) => c.json({ ...identity, changes: [], next: 0, hasMore: false, pending: 0, oldestPendingAt: null, serverTime: new Date().toISOString() }))
      .get('/api/v1/sync/snapshot', (c) =>
        c.json({
          ...identity,
          takenAt: new Date().toISOString(),
          records: {
            terminal: [good, terminal('bogus', 'bad-mac'), terminal('aa:bb:cc:07:00:02', 'lost', { groupId: 'no-such-group' })],
            'firmware-package': [{ id: 'fw1', version: 1, createdAt: AT, updatedAt: AT, name: 'fw', packageVersion: '1', objectKey: '/etc/shadow', sha256: 'b'.repeat(64), size: 1 }],
          },
          heads: [],
          log: [],
        }),
      );
    peer = serve({ fetch: forged.fetch, hostname: '127.0.0.1', port });
  });
  afterAll(async () => {
    await new Promise((r) => peer?.close(r));
    h?.close();
  });

  it('copies the valid records and leaves out and reports the others', async () => {
    const result = await h.app.services.sync.requestPull();
    expect(result).toMatchObject({ outcome: 'synced', bootstrapped: true });
    const admin = (path: string) => h.request('GET', path, { token: h.adminToken });
    const terminals = (await admin('/api/v1/terminals')).body.items.map((t: any) => t.name);
    expect(terminals).toEqual(['copied']);
    expect((await admin('/api/v1/firmware-packages')).body.total).toBe(0);
    const refused = (await admin('/api/v1/audit-events?limit=100')).body.items.filter((e: any) => e.action === 'sync.apply_failed');
    expect(refused.map((e: any) => e.entity).sort()).toEqual(['firmware-package', 'terminal', 'terminal']);
  });
});

describe("the peer's answer", () => {
  let server: ReturnType<typeof serve>;
  let url: string;
  beforeAll(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const chunk = new TextEncoder().encode('x'.repeat(64 * 1024));
    // Endless, and without a length: only the reader's bound stops it.
    const endless = new Hono().get('/api/v1/sync/changes', () => {
      let sent = 0;
      return new Response(
        new ReadableStream({
          pull(controller) {
            if (sent++ > 10_000) controller.close();
            else controller.enqueue(chunk);
          },
        }),
        { headers: { 'content-type': 'application/json' } },
      );
    });
    server = serve({ fetch: endless.fetch, hostname: '127.0.0.1', port });
  });
  afterAll(async () => {
    await new Promise((r) => server?.close(r));
  });

  it('is read no further than its bound, and refused with its own code', async () => {
    const client = peerClient({ url, token: 'tdm_x' }, { serverId: 'me', schemaVersion: 1 }, undefined, { page: 1024 * 1024, snapshot: 1024 * 1024, other: 1024 });
    await expect(client.changes(0, 10)).rejects.toMatchObject({ code: 'peer_answer_too_large' });
  });
});
