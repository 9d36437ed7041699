import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootDocumentSchema } from '../../functions/domain/boot-document';
import { apiClient, createToken, startHandler, type ApiClient, type HandlerProcess } from '../support/handler';

describe('boot API on a real handler process', () => {
  let handler: HandlerProcess;
  let admin: ApiClient;
  let relay: ApiClient;

  beforeAll(async () => {
    handler = await startHandler();
    admin = apiClient(handler.url, handler.adminToken);
    relay = apiClient(handler.url, await createToken(admin, 'relay', 'relay-b'));
  });
  afterAll(() => handler?.stop());

  it('returns the inherited, expanded configuration with a strong ETag and 304', async () => {
    const ts1 = (await admin.post('/api/v1/terminal-servers', { name: 'rds-a', host: '10.1.0.11', port: 3389 })).body;
    const ts2 = (await admin.post('/api/v1/terminal-servers', { name: 'rds-b', host: '10.1.0.12', port: 3390 })).body;
    const client = await admin.post('/api/v1/display-clients', {
      name: 'line-hmi',
      type: 'rdp',
      settings: { domain: 'PLANT' },
      terminalServerIds: [ts2.id, ts1.id],
      failoverMode: 'instant-failover',
    });
    expect(client.status).toBe(201);
    const fw = await admin.post('/api/v1/firmware-packages', { name: 'tc-os', packageVersion: '5.2.1', objectKey: 'firmware/tc-os-5.2.1.img', sha256: 'a'.repeat(64), size: 1234 });
    const root = await admin.post('/api/v1/groups', { name: 'plant', firmwarePackageId: fw.body.id, videoResolution: '1920x1080', options: { keyboard: 'de', kiosk: true } });
    const line = await admin.post('/api/v1/groups', { name: 'line-3', parentId: root.body.id, displayClientIds: [client.body.id], options: { kiosk: false } });
    const terminal = await admin.post('/api/v1/terminals', { mac: 'aa:bb:cc:00:00:01', name: 'line3-press', groupId: line.body.id, hardwareModel: 'TC-200' });
    expect(terminal.status).toBe(201);

    const res = await relay.get('/api/v1/boot/terminals/AA-BB-CC-00-00-01');
    expect(res.status).toBe(200);
    const doc = bootDocumentSchema.parse(res.body);
    expect(doc.mac).toBe('aa:bb:cc:00:00:01');
    expect(doc.groupPath).toEqual(['line-3', 'plant']);
    expect(doc.hardwareModel).toBe('TC-200');
    expect(doc.videoResolution).toBe('1920x1080');
    expect(doc.firmware).toMatchObject({ objectKey: 'firmware/tc-os-5.2.1.img', sha256: 'a'.repeat(64), version: '5.2.1' });
    expect(doc.options).toEqual({ keyboard: 'de', kiosk: false });
    expect(doc.displayClients).toHaveLength(1);
    expect(doc.displayClients[0]).toMatchObject({ name: 'line-hmi', failoverMode: 'instant-failover', settings: { domain: 'PLANT' } });
    expect(doc.displayClients[0].terminalServers.map((s) => [s.host, s.port])).toEqual([
      ['10.1.0.12', 3390],
      ['10.1.0.11', 3389],
    ]);
    const etag = res.headers.get('etag')!;
    expect(etag).toBe(`"${doc.configVersion}"`);

    const again = await relay.get('/api/v1/boot/terminals/aabbcc000001', { 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(again.headers.get('etag')).toBe(etag);

    // A change to the group reaches the terminal: new version, old ETag no longer matches.
    const groupNow = await admin.get(`/api/v1/groups/${line.body.id}`);
    const patched = await admin.patch(`/api/v1/groups/${line.body.id}`, { videoResolution: '1280x1024' }, { 'if-match': groupNow.headers.get('etag')! });
    expect(patched.status).toBe(200);
    const changed = await relay.get('/api/v1/boot/terminals/aa:bb:cc:00:00:01', { 'if-none-match': etag });
    expect(changed.status).toBe(200);
    expect(changed.body.videoResolution).toBe('1280x1024');
    expect(changed.body.configVersion).not.toBe(doc.configVersion);

    // Disabling a terminal server drops it from the expanded list.
    await admin.patch(`/api/v1/terminal-servers/${ts2.id}`, { enabled: false });
    const fewer = await relay.get('/api/v1/boot/terminals/aabbcc000001');
    expect(fewer.body.displayClients[0].terminalServers.map((s: { name: string }) => s.name)).toEqual(['rds-a']);

    // A new MAC moves the document: the old one is unknown at once, though it was just served.
    const current = await admin.get(`/api/v1/terminals/${terminal.body.id}`);
    const remac = await admin.patch(`/api/v1/terminals/${terminal.body.id}`, { mac: 'aa:bb:cc:00:00:02' }, { 'if-match': current.headers.get('etag')! });
    expect(remac.status).toBe(200);
    expect((await relay.get('/api/v1/boot/terminals/aabbcc000001')).body.code).toBe('unknown_terminal');
    expect((await relay.get('/api/v1/boot/terminals/aabbcc000002')).body.name).toBe('line3-press');
    // And a deleted terminal boots no more.
    const deleted = await admin.delete(`/api/v1/terminals/${terminal.body.id}`, { 'if-match': remac.headers.get('etag')! });
    expect(deleted.status).toBe(204);
    expect((await relay.get('/api/v1/boot/terminals/aabbcc000002')).status).toBe(404);
  });

  it('records an unknown MAC as pending and drops it once configured', async () => {
    const res = await relay.get('/api/v1/boot/terminals/AA-BB-CC-00-00-77', { 'x-tandem-relay': 'relay-b' });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.body.code).toBe('unknown_terminal');
    const pending = await admin.get('/api/v1/pending-terminals');
    // Recorded under the relay token's name (relay-b).
    expect(pending.body.items).toContainEqual(expect.objectContaining({ mac: 'aa:bb:cc:00:00:77', relayId: 'relay-b' }));

    await admin.post('/api/v1/terminals', { mac: 'aabbcc000077', name: 'new-one' });
    const after = await admin.get('/api/v1/pending-terminals');
    expect(after.body.items.map((p: { mac: string }) => p.mac)).not.toContain('aa:bb:cc:00:00:77');
    expect((await relay.get('/api/v1/boot/terminals/aa-bb-cc-00-00-77')).status).toBe(200);
  });

  it('refuses a malformed MAC with invalid_mac', async () => {
    const res = await relay.get('/api/v1/boot/terminals/not-a-mac');
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('invalid_mac');
  });

  it('records check-ins as terminal status', async () => {
    const res = await relay.post('/api/v1/boot/checkins', { mac: 'AA-BB-CC-00-00-01', relayId: 'relay-b', firmwareVersion: '5.2.1', source: 'cache' });
    expect(res.status).toBe(204);
    const status = await admin.get('/api/v1/terminal-status');
    expect(status.body.items).toContainEqual(expect.objectContaining({ mac: 'aa:bb:cc:00:00:01', relayId: 'relay-b', source: 'cache', firmwareVersion: '5.2.1' }));
  });
});
