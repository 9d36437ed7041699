import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/ports';
import { apiClient, createToken, type ApiClient } from '../support/handler';
import { eventually, startPair, type Pair } from '../support/pair';

describe('mirrored redundancy: the secondary follows the primary', () => {
  let pair: Pair;
  let relayB: ApiClient;
  let terminalId: string;
  beforeAll(async () => {
    // API tokens are per server: the relay's is made on the secondary before it turns read-only.
    pair = await startPair({
      mode: 'mirrored',
      prepare: async (p) => {
        relayB = apiClient(p.b.handler.url, await createToken(p.b.admin, 'relay'));
      },
    });
  });
  afterAll(async () => {
    await pair?.stop();
  });

  it('copies a write on the primary to the secondary', async () => {
    const group = await pair.a.admin.post('/api/v1/groups', { name: 'hall-2', videoResolution: '1920x1080' });
    const made = await pair.a.admin.post('/api/v1/terminals', { mac: 'aa:bb:cc:04:00:01', name: 'hall-2-a', groupId: group.body.id });
    expect(made.status).toBe(201);
    terminalId = made.body.id;
    const onB = await eventually(pair.b.admin, `/api/v1/terminals/${terminalId}`, (r) => r.status === 200, 'the terminal on the secondary');
    expect(onB.body).toEqual(made.body);
    const boot = await relayB.get('/api/v1/boot/terminals/aa:bb:cc:04:00:01');
    expect(boot.status).toBe(200);
    expect(boot.body).toMatchObject({ name: 'hall-2-a', videoResolution: '1920x1080', groupPath: ['hall-2'] });
  });

  it('refuses a write on the secondary, naming the primary', async () => {
    const refused = await pair.b.admin.post('/api/v1/terminal-servers', { name: 'rds-on-b', host: '10.4.0.9' });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'mirrored_secondary_read_only', primaryUrl: pair.a.handler.url });
    const revert = await pair.b.admin.post(`/api/v1/changes/${crypto.randomUUID()}/revert`, {});
    expect(revert.body.code).toBe('mirrored_secondary_read_only');
    expect((await pair.b.admin.get('/api/v1/terminal-servers?limit=1000')).body.items.map((t: { name: string }) => t.name)).not.toContain('rds-on-b');
  });

  it('flows one way only: the secondary pulls, the primary does not', async () => {
    const statusA = (await pair.a.admin.get('/api/v1/sync/status')).body;
    expect(statusA.direction).toMatchObject({ pulls: false, serves: true });
    expect(statusA.peer.reachable).toBe(true);
    expect(statusA.lag.changes).toBe(0);
    const statusB = (await pair.b.admin.get('/api/v1/sync/status')).body;
    expect(statusB.direction).toMatchObject({ pulls: true, serves: false });
    expect(statusB.lag).toEqual({ changes: 0, seconds: 0 });
    expect(statusB.lastSuccessfulSync).not.toBeNull();
  });

  it('synchronises now from the primary: the secondary has pulled when the call answers', async () => {
    const made = await pair.a.admin.post('/api/v1/terminal-servers', { name: 'rds-now', host: '10.4.0.1' });
    const run = await pair.a.admin.post('/api/v1/sync/run', {});
    expect(run.status).toBe(200);
    expect(run.body).toMatchObject({ outcome: 'synced', peerPull: { outcome: 'synced', peerServerId: 'server-a' } });
    expect((await pair.b.admin.get(`/api/v1/terminal-servers/${made.body.id}`)).status).toBe(200);
  });

  it('keeps serving the boot API on the secondary while the primary is down, and follows again once it is back', async () => {
    await pair.a.handler.kill();
    const boot = await relayB.get('/api/v1/boot/terminals/aabbcc040001');
    expect(boot.status).toBe(200);
    expect(boot.body.name).toBe('hall-2-a');
    const down = (await pair.b.admin.get('/api/v1/sync/status')).body;
    expect(down.peer.reachable).toBe(false);

    const a = await pair.restart('a');
    const changed = await a.admin.patch(`/api/v1/terminals/${terminalId}`, { hardwareModel: 'TC-400' });
    expect(changed.status).toBe(200);
    await eventually(relayB, '/api/v1/boot/terminals/aa-bb-cc-04-00-01', (r) => r.body?.hardwareModel === 'TC-400', 'the change made after the restart to reach the secondary');
  });

  it('stops the flow while paused on the primary, and says so on both sides', async () => {
    expect((await pair.a.admin.post('/api/v1/sync/pause', {})).status).toBe(200);
    const run = await pair.a.admin.post('/api/v1/sync/run', {});
    expect(run.status).toBe(409);
    expect(run.body.code).toBe('sync_paused');
    const made = await pair.a.admin.post('/api/v1/terminal-servers', { name: 'rds-paused', host: '10.4.0.2' });
    const statusB = (await pair.b.admin.get('/api/v1/sync/status')).body;
    expect(statusB.peer.error.code).toBe('sync_paused');
    expect((await pair.b.admin.get(`/api/v1/terminal-servers/${made.body.id}`)).status).toBe(404);

    expect((await pair.a.admin.post('/api/v1/sync/resume', {})).status).toBe(200);
    await eventually(pair.b.admin, `/api/v1/terminal-servers/${made.body.id}`, (r) => r.status === 200, 'the change made while paused to arrive once resumed');
  });
});

describe('mirrored redundancy with the secondary out of reach', () => {
  let pair: Pair;
  beforeAll(async () => {
    pair = await startPair({ mode: 'mirrored', envA: { TANDEM_PEER_URL: `http://127.0.0.1:${await freePort()}` }, licensed: ['a'] });
  });
  afterAll(async () => {
    await pair?.stop();
  });

  it('says why "synchronise now" failed on the primary', async () => {
    const run = await pair.a.admin.post('/api/v1/sync/run', {});
    expect(run.status).toBe(502);
    expect(run.body.code).toBe('peer_unreachable');
    expect((await pair.a.admin.get('/api/v1/sync/status')).body.peer.reachable).toBe(false);
  });
});
