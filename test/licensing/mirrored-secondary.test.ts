import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { licenses, pendingTerminals, terminalLeases } from '../../db/schema';
import type { Access } from '../../functions/domain/roles';
import { noteForCommit } from '../../db/database';
import { issueToken } from '../../functions/services/tokens';
import { licensedInProcess, pairLicensePayload, testMac, testVendor } from '../support/licensing';

const PRIMARY_URL = 'http://primary.plant.example:8787';

/**
 * A mirrored pair in process: the licence is installed on the primary and copied
 * to the secondary's database the way synchronisation copies it.
 */
describe('a mirrored secondary', () => {
  let primary: Awaited<ReturnType<typeof licensedInProcess>>;
  let secondary: Awaited<ReturnType<typeof licensedInProcess>>;
  const tokens: Partial<Record<string, string>> = {};
  const ids: Record<string, string> = {};
  const mac = testMac(1);

  beforeAll(async () => {
    const vendor = await testVendor();
    primary = await licensedInProcess(vendor);
    secondary = await licensedInProcess(vendor, { role: 'secondary', serverId: 'secondary', peerUrl: PRIMARY_URL });
    const admin = (method: string, path: string, body?: unknown) => secondary.request(method, path, { token: secondary.adminToken, body });

    // Data to read, made while the secondary still runs in demo mode (which takes writes).
    ids['/api/v1/terminal-servers'] = (await admin('POST', '/api/v1/terminal-servers', { name: 'rds-1', host: '10.0.0.5' })).body.id;
    ids['/api/v1/display-clients'] = (await admin('POST', '/api/v1/display-clients', { name: 'hmi', type: 'rdp', terminalServerIds: [ids['/api/v1/terminal-servers']] })).body.id;
    ids['/api/v1/firmware-packages'] = (await admin('POST', '/api/v1/firmware-packages', { name: 'os', packageVersion: '1', objectKey: 'fw/os-1.img', sha256: 'b'.repeat(64), size: 10 })).body.id;
    ids['/api/v1/groups'] = (await admin('POST', '/api/v1/groups', { name: 'line-1', displayClientIds: [ids['/api/v1/display-clients']] })).body.id;
    ids['/api/v1/terminals'] = (await admin('POST', '/api/v1/terminals', { mac, name: 'press-1', groupId: ids['/api/v1/groups'] })).body.id;
    for (const role of ['admin', 'operator', 'viewer', 'relay', 'peer']) {
      const issued = (await admin('POST', '/api/v1/tokens', { role, name: `walk-${role}` })).body;
      tokens[role] = issued.token;
      ids['/api/v1/tokens'] = issued.id;
    }
    ids['/api/v1/changes'] = (await admin('GET', '/api/v1/changes?limit=1')).body.items[0].changeId;
    await secondary.db.write(async (tx) => {
      await tx.insert(pendingTerminals).values({ mac: testMac(2), firstSeen: '2027-01-01T00:00:00Z', lastSeen: '2027-01-01T00:00:00Z', relayId: 'relay-a' });
      await tx.insert(terminalLeases).values({ mac: testMac(3), grantedAt: '2027-01-01T00:00:00Z', renewedAt: '2027-01-01T00:00:00Z', expiresAt: Date.now() + 3_600_000, relayId: 'relay-a' });
    });

    const licence = await vendor.sign(pairLicensePayload(primary.installationId, secondary.installationId, 'mirrored', 10));
    expect((await primary.install(licence)).status).toBe(200);
    const row = (await primary.db.orm.select().from(licenses).all())[0];
    await secondary.db.write(async (tx) => {
      await tx.insert(licenses).values(row);
      noteForCommit(tx, 'license');
    });
    expect((await admin('GET', '/api/v1/license')).body).toMatchObject({ mode: 'mirrored', problem: null });
  });
  afterAll(() => {
    primary?.close();
    secondary?.close();
  });

  const tokenFor = (access: Access) => (access === 'public' ? undefined : tokens[access.includes('admin') ? 'admin' : access[0]]);
  const fill = (path: string, forRead: boolean) =>
    path
      .replace(/^(.*)\/\{id\}/, (_, collection: string) => {
        if (ids[collection]) return `${collection}/${ids[collection]}`;
        if (forRead) throw new Error(`the walk has no record for ${collection}/{id}: add one to the test`);
        return `${collection}/no-such-record`;
      })
      .replace('{mac}', mac);
  // Reads whose capability an in-process server lacks (no database file to copy): they answer
  // their own refusal, never the mirrored secondary's.
  const unavailableInProcess: Record<string, string> = { 'get /api/v1/backup': 'backup_unavailable' };
  const sampleBodies: Record<string, unknown> = {
    'post /api/v1/boot/checkins': { mac, relayId: 'relay-a', source: 'live' },
  };

  // The API's routes, called with a bearer token; the dashboard's pages (session routes) show the
  // mirrored secondary's banner and refusal in test/dashboard/redundancy.test.ts.
  const apiRoutes = () => secondary.app.routeTable.filter((r) => r.auth !== 'session');

  it('refuses every write route with mirrored_secondary_read_only, naming the primary', async () => {
    const writes = apiRoutes().filter((r) => r.writes && !r.mirroredSecondaryMay);
    expect(writes.length).toBeGreaterThan(15);
    for (const route of writes) {
      const res = await secondary.request(route.method.toUpperCase(), fill(route.path, false), { token: tokenFor(route.access), body: route.method === 'delete' ? undefined : {} });
      expect({ route: `${route.method} ${route.path}`, status: res.status, code: res.body?.code }).toEqual({ route: `${route.method} ${route.path}`, status: 403, code: 'mirrored_secondary_read_only' });
      expect(res.body.primaryUrl).toBe(PRIMARY_URL);
      expect(res.body.detail).toContain(PRIMARY_URL);
    }
  });

  it('answers every read route normally, the boot API included', async () => {
    const reads = apiRoutes().filter((r) => !r.writes);
    expect(reads.map((r) => r.path)).toContain('/api/v1/boot/terminals/{mac}');
    for (const route of reads) {
      const key = `${route.method} ${route.path}`;
      const res = await secondary.request(route.method.toUpperCase(), fill(route.path, true), { token: tokenFor(route.access), body: sampleBodies[key] });
      const unavailable = unavailableInProcess[key];
      if (unavailable) expect({ route: key, code: res.body?.code }).toEqual({ route: key, code: unavailable });
      else expect({ route: key, ok: res.status >= 200 && res.status < 300, code: res.body?.code }).toEqual({ route: key, ok: true, code: undefined });
    }
    const boot = await secondary.request('GET', `/api/v1/boot/terminals/${mac}`, { token: tokens.relay });
    expect(boot.body.mac).toBe(mac);
  });

  it('still revokes a token, so that a leaked one can be stopped while the primary is down', async () => {
    const allowed = apiRoutes().filter((r) => r.writes && r.mirroredSecondaryMay).map((r) => `${r.method} ${r.path}`);
    expect(allowed).toEqual(['delete /api/v1/tokens/{id}']);
    const issued = await primary.request('POST', '/api/v1/tokens', { token: primary.adminToken, body: { role: 'relay', name: 'leaked' } });
    const registered = await secondary.db.write((tx) => issueToken(tx, { serverId: 'secondary', actor: 'test', at: new Date() }, { name: 'leaked', role: 'relay', token: issued.body.token }));
    expect((await secondary.request('GET', '/api/v1/boot/terminals/aa:bb:cc:99:99:99', { token: issued.body.token })).status).not.toBe(401);
    const res = await secondary.request('DELETE', `/api/v1/tokens/${registered.id}`, { token: tokens.admin });
    expect(res.status).toBe(204);
    expect((await secondary.request('GET', '/api/v1/boot/terminals/aa:bb:cc:99:99:99', { token: issued.body.token })).body.code).toBe('invalid_token');
  });

  it('leaves the primary of the same mirrored licence writable', async () => {
    const res = await primary.request('POST', '/api/v1/terminal-servers', { token: primary.adminToken, body: { name: 'rds-p', host: '10.0.0.9' } });
    expect(res.status).toBe(201);
  });

  it('refuses a mirrored licence installed on the secondary: it would never reach the primary', async () => {
    const vendor = await testVendor();
    const p = await licensedInProcess(vendor);
    const s = await licensedInProcess(vendor, { role: 'secondary', peerUrl: PRIMARY_URL });
    try {
      const res = await s.install(await vendor.sign(pairLicensePayload(p.installationId, s.installationId, 'mirrored', 10)));
      expect(res.status).toBe(403);
      expect(res.body).toMatchObject({ code: 'mirrored_secondary_read_only', primaryUrl: PRIMARY_URL });
    } finally {
      p.close();
      s.close();
    }
  });
});

describe('a fully redundant secondary', () => {
  it('takes configuration changes and admin actions', async () => {
    const vendor = await testVendor();
    const p = await licensedInProcess(vendor);
    const s = await licensedInProcess(vendor, { role: 'secondary', peerUrl: PRIMARY_URL });
    try {
      expect((await s.install(await vendor.sign(pairLicensePayload(p.installationId, s.installationId, 'full', 10)))).status).toBe(200);
      expect((await s.request('POST', '/api/v1/terminal-servers', { token: s.adminToken, body: { name: 'rds-s', host: '10.0.0.7' } })).status).toBe(201);
      expect((await s.request('POST', '/api/v1/tokens', { token: s.adminToken, body: { role: 'viewer', name: 'v' } })).status).toBe(201);
    } finally {
      p.close();
      s.close();
    }
  });
});
