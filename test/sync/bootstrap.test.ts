import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { apiClient, createToken, startHandler, type HandlerProcess } from '../support/handler';
import { pairLicensePayload, testVendor } from '../support/licensing';
import { configurationOf, eventually } from '../support/pair';
import { freePort } from '../support/ports';

/* eslint-disable @typescript-eslint/no-explicit-any */

describe('a new secondary with an empty database', () => {
  const started: HandlerProcess[] = [];
  afterAll(async () => {
    await Promise.all(started.map((h) => h.stop()));
  });

  it('copies a consistent snapshot from the primary, receives the licence, then follows the change log', async () => {
    const vendor = await testVendor();
    const token = `tdm_test_bootstrap_pair_${randomUUID()}`;
    const secondaryPort = await freePort();
    const common = { TANDEM_PEER_TOKEN: token, TANDEM_LICENSE_PUBLIC_KEY: vendor.publicKey, TANDEM_SYNC_INTERVAL_MS: '60000' };
    const primary = await startHandler({ env: { ...common, TANDEM_SERVER_ID: 'plant-primary', TANDEM_PEER_URL: `http://127.0.0.1:${secondaryPort}` } });
    started.push(primary);
    const a = apiClient(primary.url, primary.adminToken);
    const server = await a.post('/api/v1/terminal-servers', { name: 'rds-1', host: '10.2.0.1' });
    const client = await a.post('/api/v1/display-clients', { name: 'hmi', type: 'rdp', terminalServerIds: [server.body.id] });
    const group = await a.post('/api/v1/groups', { name: 'press-shop', displayClientIds: [client.body.id] });
    for (let i = 0; i < 20; i++) expect((await a.post('/api/v1/terminals', { mac: `aa:bb:cc:06:00:${i.toString(16).padStart(2, '0')}`, name: `press-${i}`, groupId: group.body.id })).status).toBe(201);
    const gone = await a.post('/api/v1/terminals', { mac: 'aa:bb:cc:06:01:00', name: 'scrapped' });
    await a.delete(`/api/v1/terminals/${gone.body.id}`);

    const secondary = await startHandler({ port: secondaryPort, env: { ...common, TANDEM_SERVER_ID: 'plant-secondary', TANDEM_ROLE: 'secondary', TANDEM_PEER_URL: primary.url } });
    started.push(secondary);
    const b = apiClient(secondary.url, secondary.adminToken);
    // Its pull at start copies the snapshot.
    await eventually(b, '/api/v1/audit-events?entity=sync', (r) => r.body?.items?.some((e: any) => e.action === 'sync.bootstrap'), 'the secondary to copy the snapshot');
    expect(await configurationOf(b)).toEqual(await configurationOf(a));
    // The history came along: the primary's changes are listed on the secondary, with their origin.
    const history = (await b.get('/api/v1/changes?server=plant-primary&limit=1000')).body;
    expect(history.total).toBe((await a.get('/api/v1/changes?limit=1000')).body.total);

    // The mirrored licence, installed once on the primary, reaches the secondary, which then serves terminals
    // and takes no writes. (API tokens are per server: the relay's is made on the secondary before it turns read-only.)
    const relay = apiClient(secondary.url, await createToken(b, 'relay'));
    const ids = await Promise.all([a, b].map(async (api) => (await api.get('/api/v1/server')).body.installationId));
    expect((await a.call('PUT', '/api/v1/license', await vendor.sign(pairLicensePayload(ids[0], ids[1], 'mirrored', 50)))).status).toBe(200);
    await eventually(b, '/api/v1/license', (r) => r.body?.mode === 'mirrored', 'the licence to reach the secondary');
    const boot = await relay.get('/api/v1/boot/terminals/aa:bb:cc:06:00:07');
    expect(boot.status).toBe(200);
    expect(boot.body.displayClients[0].terminalServers[0].host).toBe('10.2.0.1');
    const refused = await b.post('/api/v1/terminal-servers', { name: 'rds-b', host: '10.2.0.2' });
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('mirrored_secondary_read_only');

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
