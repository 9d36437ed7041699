import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, startHandler, type ApiClient, type HandlerProcess } from '../support/handler';

describe('concurrent writes through the HTTP API', () => {
  let handler: HandlerProcess;
  let admin: ApiClient;

  beforeAll(async () => {
    handler = await startHandler();
    admin = apiClient(handler.url, handler.adminToken);
  });
  afterAll(() => handler?.stop());

  it('lets 50 concurrent creates through, none as a 500', async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        admin.post('/api/v1/terminals', { mac: `aa:bb:cc:01:00:${i.toString(16).padStart(2, '0')}`, name: `concurrent-${i}` }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(50).fill(201));
    const list = await admin.get('/api/v1/terminals?limit=1000');
    expect(list.body.total).toBe(50);
    const audit = await admin.get('/api/v1/audit-events?entity=terminal&limit=1000');
    expect(audit.body.total).toBe(50);
    // The period filter: everything so far is before a minute from now, nothing after it.
    const later = encodeURIComponent(new Date(Date.now() + 60_000).toISOString());
    expect((await admin.get(`/api/v1/audit-events?entity=terminal&until=${later}&limit=1000`)).body.total).toBe(50);
    expect((await admin.get(`/api/v1/audit-events?entity=terminal&since=${later}`)).body.total).toBe(0);
  });

  it('settles 50 concurrent updates of one record: one wins per version, the rest get 412', async () => {
    const t = (await admin.post('/api/v1/terminals', { mac: 'aa:bb:cc:02:00:01', name: 'contended' })).body;
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => admin.patch(`/api/v1/terminals/${t.id}`, { hardwareModel: `model-${i}` }, { 'if-match': `"${t.version}"` })),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 412)).toHaveLength(49);
    const winner = results.find((r) => r.status === 200)!.body.hardwareModel;
    expect((await admin.get(`/api/v1/terminals/${t.id}`)).body).toMatchObject({ version: 2, hardwareModel: winner });
  });

  it('mixes creates, duplicates and deletes without a 500', async () => {
    const group = (await admin.post('/api/v1/groups', { name: 'mixed' })).body;
    const work = Array.from({ length: 50 }, (_, i) => {
      if (i % 3 === 0) return admin.post('/api/v1/terminals', { mac: 'aa:bb:cc:03:00:01', name: `dup-${i}` });
      if (i % 3 === 1) return admin.post('/api/v1/groups', { name: `sub-${i}`, parentId: group.id });
      return admin.get('/api/v1/terminals');
    });
    const statuses = (await Promise.all(work)).map((r) => r.status);
    expect(statuses.every((s) => s < 500)).toBe(true);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1 + 17);
    expect(statuses.filter((s) => s === 409)).toHaveLength(16);
  });
});
