import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/ports';
import { apiClient, createToken, type ApiClient } from '../support/handler';
import { eventually, startPair, type Pair } from '../support/pair';

describe('mirrored redundancy: the secondary follows the primary', () => {
  let pair: Pair;
  let relayB: ApiClient;
  let terminalId: string;
  beforeAll(async () => {
    pair = await startPair({ mode: 'mirrored' });
    relayB = apiClient(pair.b.handler.url, await createToken(pair.b.admin, 'relay'));
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

  it('flows one way only: the primary does not pull, and the secondary serves no changes', async () => {
    const statusA = (await pair.a.admin.get('/api/v1/sync/status')).body;
    expect(statusA.direction).toMatchObject({ pulls: false, serves: true });
    expect(statusA.peer.reachable).toBe(true);
    const statusB = (await pair.b.admin.get('/api/v1/sync/status')).body;
    expect(statusB.direction).toMatchObject({ pulls: true, serves: false });
    expect(statusB.lag.changes).toBe(0);

    const peerOfB = apiClient(pair.b.handler.url, pair.b.handler.env.TANDEM_PEER_TOKEN);
    const { schemaVersion } = (await peerOfB.get('/healthz')).body;
    const refused = await peerOfB.get('/api/v1/sync/changes?after=0', { 'x-tandem-server-id': 'server-a', 'x-tandem-schema-version': String(schemaVersion) });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('mirrored_one_way');
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
});

describe('mirrored redundancy without pokes: "synchronise now"', () => {
  let pair: Pair;
  beforeAll(async () => {
    // The primary cannot reach the secondary to poke it, and the secondary's timer is a minute away.
    pair = await startPair({ mode: 'mirrored', envA: { TANDEM_PEER_URL: `http://127.0.0.1:${await freePort()}` } });
  });
  afterAll(async () => {
    await pair?.stop();
  });

  it('pulls at once on the secondary', async () => {
    // Let the pull the secondary made at start finish first: from then on only "synchronise now" pulls.
    expect((await pair.b.admin.post('/api/v1/sync/run', {})).status).toBe(200);
    const made = await pair.a.admin.post('/api/v1/terminal-servers', { name: 'rds-now', host: '10.4.0.1' });
    expect((await pair.b.admin.get(`/api/v1/terminal-servers/${made.body.id}`)).status).toBe(404);
    const run = await pair.b.admin.post('/api/v1/sync/run', {});
    expect(run.status).toBe(200);
    expect(run.body).toMatchObject({ outcome: 'synced', peerServerId: 'server-a' });
    expect((await pair.b.admin.get(`/api/v1/terminal-servers/${made.body.id}`)).status).toBe(200);
  });

  it('says why on the primary when the secondary cannot be reached', async () => {
    const run = await pair.a.admin.post('/api/v1/sync/run', {});
    expect(run.status).toBe(502);
    expect(run.body.code).toBe('peer_unreachable');
  });

  it('refuses while paused, with the way out', async () => {
    await pair.b.admin.post('/api/v1/sync/pause', {});
    const run = await pair.b.admin.post('/api/v1/sync/run', {});
    expect(run.status).toBe(409);
    expect(run.body.code).toBe('sync_paused');
    expect((await pair.b.admin.get('/api/v1/sync/status')).body.paused).toBe(true);
    await pair.b.admin.post('/api/v1/sync/resume', {});
  });
});
