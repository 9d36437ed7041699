import { afterAll, describe, expect, it } from 'vitest';
import { apiClient, createToken, startHandler, type HandlerProcess } from '../support/handler';
import { configurationOf } from '../support/pair';
import { freePort } from '../support/ports';

/* eslint-disable @typescript-eslint/no-explicit-any */

describe('a new secondary with an empty database', () => {
  const started: HandlerProcess[] = [];
  afterAll(async () => {
    await Promise.all(started.map((h) => h.stop()));
  });

  it('copies a consistent snapshot from the primary, then follows its change log', async () => {
    const token = 'tdm_test_bootstrap_pair';
    const secondaryPort = await freePort();
    const primary = await startHandler({
      env: { TANDEM_SERVER_ID: 'plant-primary', TANDEM_SYNC_MODE: 'mirrored', TANDEM_PEER_TOKEN: token, TANDEM_PEER_URL: `http://127.0.0.1:${secondaryPort}` },
    });
    started.push(primary);
    const a = apiClient(primary.url, primary.adminToken);
    const server = await a.post('/api/v1/terminal-servers', { name: 'rds-1', host: '10.2.0.1' });
    const client = await a.post('/api/v1/display-clients', { name: 'hmi', type: 'rdp', terminalServerIds: [server.body.id] });
    const group = await a.post('/api/v1/groups', { name: 'press-shop', displayClientIds: [client.body.id] });
    for (let i = 0; i < 20; i++) expect((await a.post('/api/v1/terminals', { mac: `aa:bb:cc:06:00:${i.toString(16).padStart(2, '0')}`, name: `press-${i}`, groupId: group.body.id })).status).toBe(201);
    const gone = await a.post('/api/v1/terminals', { mac: 'aa:bb:cc:06:01:00', name: 'scrapped' });
    await a.delete(`/api/v1/terminals/${gone.body.id}`);

    const secondary = await startHandler({
      port: secondaryPort,
      env: { TANDEM_SERVER_ID: 'plant-secondary', TANDEM_ROLE: 'secondary', TANDEM_SYNC_MODE: 'mirrored', TANDEM_PEER_TOKEN: token, TANDEM_PEER_URL: primary.url, TANDEM_SYNC_INTERVAL_MS: '60000' },
    });
    started.push(secondary);
    const b = apiClient(secondary.url, secondary.adminToken);
    // Its pull at start copies the snapshot; "synchronise now" on the primary answers after a pull of the secondary's that follows it.
    expect((await a.post('/api/v1/sync/run', {})).status).toBe(200);

    expect(await configurationOf(b)).toEqual(await configurationOf(a));
    const audit = (await b.get('/api/v1/audit-events?entity=sync')).body.items;
    expect(audit.map((e: any) => e.action)).toContain('sync.bootstrap');
    // The history came along: the primary's changes are listed on the secondary, with their origin.
    const history = (await b.get('/api/v1/changes?server=plant-primary&limit=1000')).body;
    expect(history.total).toBe((await a.get('/api/v1/changes?limit=1000')).body.total);
    const relay = apiClient(secondary.url, await createToken(b, 'relay'));
    const boot = await relay.get('/api/v1/boot/terminals/aa:bb:cc:06:00:07');
    expect(boot.status).toBe(200);
    expect(boot.body.displayClients[0].terminalServers[0].host).toBe('10.2.0.1');

    // Then it follows the log: a later write arrives without another snapshot.
    const renamed = await a.patch(`/api/v1/terminal-servers/${server.body.id}`, { host: '10.2.0.99' });
    expect(renamed.status).toBe(200);
    const run = await a.post('/api/v1/sync/run', {});
    expect(run.body).toMatchObject({ outcome: 'synced', peerPull: { outcome: 'synced', bootstrapped: false } });
    expect((await relay.get('/api/v1/boot/terminals/aa:bb:cc:06:00:07')).body.displayClients[0].terminalServers[0].host).toBe('10.2.0.99');
    const auditAfter = (await b.get('/api/v1/audit-events?entity=sync')).body.items;
    expect(auditAfter.filter((e: any) => e.action === 'sync.bootstrap')).toHaveLength(1);
  });
});
