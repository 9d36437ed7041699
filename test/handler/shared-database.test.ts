import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, createToken, startHandler, type ApiClient, type HandlerProcess } from '../support/handler';
import { startHranaServer, type HranaServer } from '../support/hrana-server';

/**
 * Two Node handler processes on one libSQL server (as sqld or Turso would be shared): neither
 * may answer from memory what the other has changed in the database.
 */
describe('two Node handlers sharing one libSQL server', () => {
  let database: HranaServer;
  let first: HandlerProcess;
  let second: HandlerProcess;
  let admin: ApiClient;
  let relayOnSecond: ApiClient;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tandem-shared-db-'));
    database = await startHranaServer({ file: join(dir, 'shared.db'), authToken: 'db-secret' });
    const env = { DATABASE_URL: database.url, DATABASE_AUTH_TOKEN: 'db-secret', TANDEM_SERVER_ID: 'site', TANDEM_ADMIN_TOKEN: `tdm_shared_admin_${randomUUID()}` };
    first = await startHandler({ env, dataDir: join(dir, 'first') });
    second = await startHandler({ env, dataDir: join(dir, 'second') });
    admin = apiClient(first.url, first.adminToken);
    relayOnSecond = apiClient(second.url, await createToken(admin, 'relay'));
  }, 60_000);
  afterAll(async () => {
    await first?.stop();
    await second?.stop();
    await database?.close();
  });

  it('boots through one process what was just changed through the other', async () => {
    const group = await admin.post('/api/v1/groups', { name: 'hall-2', videoResolution: '1920x1080' });
    const terminal = await admin.post('/api/v1/terminals', { mac: 'aa:bb:cc:09:00:01', name: 'hall-2-press', groupId: group.body.id });
    expect(terminal.status).toBe(201);
    const before = await relayOnSecond.get('/api/v1/boot/terminals/aabbcc090001');
    expect(before.status).toBe(200);
    expect(before.body.videoResolution).toBe('1920x1080');

    const patched = await admin.patch(`/api/v1/groups/${group.body.id}`, { videoResolution: '1280x1024' }, { 'if-match': group.headers.get('etag')! });
    expect(patched.status).toBe(200);
    const after = await relayOnSecond.get('/api/v1/boot/terminals/aabbcc090001', { 'if-none-match': before.headers.get('etag')! });
    expect(after.status).toBe(200);
    expect(after.body.videoResolution).toBe('1280x1024');

    // A lease taken through one process counts in the other: the lease list is the database's.
    const leases = await apiClient(second.url, second.adminToken).get('/api/v1/leases');
    expect(leases.body.items.map((l: { mac: string }) => l.mac)).toContain('aa:bb:cc:09:00:01');
  });
});
