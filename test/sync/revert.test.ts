import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configurationOf, eventually, settled, startPair, type Pair } from '../support/pair';

/* eslint-disable @typescript-eslint/no-explicit-any */

describe('history and revert across the pair', () => {
  let pair: Pair;
  beforeAll(async () => {
    pair = await startPair({ mode: 'full' });
  });
  afterAll(async () => {
    await pair?.stop();
  });

  const lastChange = async (recordId: string) => (await pair.a.admin.get(`/api/v1/changes?recordId=${recordId}&limit=1`)).body.items[0];

  it('reverts on B a change made on A, leaving both servers at the earlier state', async () => {
    const { a, b } = pair;
    const created = await a.admin.post('/api/v1/terminals', { mac: 'aa:bb:cc:02:00:01', name: 'kiln-1', hardwareModel: 'TC-200', options: { keyboard: 'de' } });
    const mistake = await a.admin.patch(`/api/v1/terminals/${created.body.id}`, { hardwareModel: 'WRONG', options: { keyboard: 'us' } });
    expect(mistake.status).toBe(200);
    const change = await lastChange(created.body.id);
    expect(change).toMatchObject({ operation: 'update', origin: 'server-a', before: { hardwareModel: 'TC-200' }, after: { hardwareModel: 'WRONG' } });
    await eventually(b.admin, `/api/v1/changes/${change.changeId}`, (r) => r.status === 200, 'the change to reach B');

    const reverted = await b.admin.post(`/api/v1/changes/${change.changeId}/revert`, {});
    expect(reverted.status).toBe(201);
    expect(reverted.body.change).toMatchObject({ origin: 'server-b', revertOf: change.changeId, operation: 'update' });
    await settled(pair);

    for (const m of [a, b]) {
      const row = (await m.admin.get(`/api/v1/terminals/${created.body.id}`)).body;
      expect(row).toMatchObject({ hardwareModel: 'TC-200', options: { keyboard: 'de' }, name: 'kiln-1' });
      expect(row.version).toBe(3);
      const audit = (await m.admin.get(`/api/v1/audit-events?entityId=${created.body.id}`)).body.items.map((e: any) => `${e.action}@${e.serverId}`);
      if (m === b) expect(audit).toContain('terminal.revert@server-b');
    }
    expect(await configurationOf(a.admin)).toEqual(await configurationOf(b.admin));
  });

  it('refuses a revert that would overwrite a later change with revert_conflict, unless forced', async () => {
    const { a, b } = pair;
    const created = await a.admin.post('/api/v1/terminals', { mac: 'aa:bb:cc:02:00:02', name: 'kiln-2', hardwareModel: 'v1' });
    await a.admin.patch(`/api/v1/terminals/${created.body.id}`, { hardwareModel: 'v2' });
    const first = await lastChange(created.body.id);
    await a.admin.patch(`/api/v1/terminals/${created.body.id}`, { hardwareModel: 'v3' });
    const later = await lastChange(created.body.id);
    await eventually(b.admin, `/api/v1/terminals/${created.body.id}`, (r) => r.body?.hardwareModel === 'v3', 'v3 on B');

    const refused = await b.admin.post(`/api/v1/changes/${first.changeId}/revert`, {});
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('revert_conflict');
    expect(refused.body.currentChangeId).toBe(later.changeId);
    expect(refused.body.laterChanges.map((c: any) => c.changeId)).toEqual([later.changeId]);
    expect((await b.admin.get(`/api/v1/terminals/${created.body.id}`)).body.hardwareModel).toBe('v3');

    const forced = await b.admin.post(`/api/v1/changes/${first.changeId}/revert?force=true`, {});
    expect(forced.status).toBe(201);
    await settled(pair);
    for (const m of [a, b]) expect((await m.admin.get(`/api/v1/terminals/${created.body.id}`)).body.hardwareModel).toBe('v1');
  });

  it('undoes a create by deleting, and a delete by re-creating, on both servers', async () => {
    const { a, b } = pair;
    const created = await a.admin.post('/api/v1/terminal-servers', { name: 'rds-undo', host: '10.9.0.1' });
    const creation = await lastChange(created.body.id);
    await eventually(b.admin, `/api/v1/terminal-servers/${created.body.id}`, (r) => r.status === 200, 'the server on B');

    expect((await b.admin.post(`/api/v1/changes/${creation.changeId}/revert`, {})).status).toBe(201);
    await settled(pair);
    for (const m of [a, b]) expect((await m.admin.get(`/api/v1/terminal-servers/${created.body.id}`)).status).toBe(404);

    const deletion = (await b.admin.get(`/api/v1/changes?recordId=${created.body.id}&limit=1`)).body.items[0];
    expect(deletion).toMatchObject({ operation: 'delete', revertOf: creation.changeId });
    expect((await a.admin.post(`/api/v1/changes/${deletion.changeId}/revert`, {})).status).toBe(201);
    await settled(pair);
    for (const m of [a, b]) expect((await m.admin.get(`/api/v1/terminal-servers/${created.body.id}`)).body).toMatchObject({ name: 'rds-undo', host: '10.9.0.1' });
  });

  it('filters the history by record, server and time', async () => {
    const { a, b } = pair;
    const since = new Date().toISOString();
    const made = await b.admin.post('/api/v1/groups', { name: 'history-group' });
    await settled(pair);
    const byServer = (await a.admin.get(`/api/v1/changes?server=server-b&since=${encodeURIComponent(since)}`)).body.items;
    expect(byServer.map((c: any) => c.recordId)).toContain(made.body.id);
    expect(byServer.every((c: any) => c.origin === 'server-b')).toBe(true);
    const byEntity = (await a.admin.get('/api/v1/changes?entity=group')).body.items;
    expect(byEntity.every((c: any) => c.entity === 'group')).toBe(true);
    const future = (await a.admin.get(`/api/v1/changes?since=${encodeURIComponent(new Date(Date.now() + 3600_000).toISOString())}`)).body;
    expect(future.total).toBe(0);
    expect((await a.admin.post('/api/v1/changes/not-a-change/revert', {})).body.code).toBe('not_found');
  });
});
