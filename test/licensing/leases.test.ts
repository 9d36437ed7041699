import { afterEach, describe, expect, it } from 'vitest';
import { licenses } from '../../db/schema';
import type { AppDeps } from '../../functions/deps';
import { noteForCommit } from '../../db/database';
import { LICENSE_RECORD_ID } from '../../functions/domain/license';
import { licensedInProcess, licensePayload, pairLicensePayload, testClock, testMac, testVendor, type TestVendor } from '../support/licensing';

const open: { close: () => void }[] = [];
afterEach(() => {
  for (const h of open.splice(0)) h.close();
});

async function server(vendor: TestVendor, overrides: Partial<AppDeps> = {}) {
  const h = await licensedInProcess(vendor, overrides);
  open.push(h);
  return h;
}

const HOUR = 3600;
const DAY = 24 * HOUR;

describe('terminal-connection leases', () => {
  it('with a licence for 3 terminals, the 4th distinct terminal gets license_exhausted naming the count', async () => {
    const vendor = await testVendor();
    const clock = testClock();
    const h = await server(vendor, { now: clock.now, licensing: { leaseTtlSeconds: HOUR } });
    await h.install(await vendor.sign(licensePayload(h.installationId, { products: [{ product: 'terminal-connection', quantity: 3, appliesTo: 'primary' }] }, clock.now())));
    await h.addTerminals(1, 4);

    for (const n of [1, 2, 3]) expect((await h.boot(n)).status).toBe(200);
    const fourth = await h.boot(4);
    expect(fourth.status).toBe(403);
    expect(fourth.headers.get('content-type')).toContain('application/problem+json');
    expect(fourth.body).toMatchObject({ code: 'license_exhausted', count: 3 });
    expect(fourth.body.detail).toContain('3');
    expect((await h.leases()).items.map((l) => l.mac)).toEqual([testMac(1), testMac(2), testMac(3)]);
  });

  it('a terminal that already holds a lease boots again without a second lease, and without a database write', async () => {
    const vendor = await testVendor();
    const clock = testClock();
    const h = await server(vendor, { now: clock.now });
    await h.install(await vendor.sign(licensePayload(h.installationId, { products: [{ product: 'terminal-connection', quantity: 3, appliesTo: 'primary' }] }, clock.now())));
    await h.addTerminals(1, 3);
    const first = await h.boot(1);
    expect(first.status).toBe(200);

    let writes = 0;
    const write = h.db.write.bind(h.db);
    h.db.write = (work) => {
      writes++;
      return write(work);
    };
    for (let i = 0; i < 5; i++) expect((await h.boot(1)).status).toBe(200);
    expect((await h.boot(1, { 'if-none-match': first.headers.get('etag')! })).status).toBe(304);
    expect(writes).toBe(0);
    expect((await h.leases()).total).toBe(1);
    const grants = await h.request('GET', '/api/v1/audit-events?entity=lease', { token: h.adminToken });
    expect(grants.body.items.filter((e: { action: string }) => e.action === 'lease.grant')).toHaveLength(1);
  });

  it('once a lease expires another terminal gets it; check-ins keep leases alive', async () => {
    const vendor = await testVendor();
    const clock = testClock();
    const h = await server(vendor, { now: clock.now, licensing: { leaseTtlSeconds: HOUR } });
    await h.install(await vendor.sign(licensePayload(h.installationId, { products: [{ product: 'terminal-connection', quantity: 3, appliesTo: 'primary' }] }, clock.now())));
    await h.addTerminals(1, 4);
    for (const n of [1, 2, 3]) expect((await h.boot(n)).status).toBe(200);

    clock.advance(HOUR / 2);
    for (const n of [2, 3]) {
      const checkIn = await h.checkIn(n);
      expect(checkIn.status).toBe(204);
      expect(checkIn.headers.get('tandem-lease')).toBe('renewed');
    }
    expect((await h.boot(4)).body.code).toBe('license_exhausted');

    // Terminal 1 was not renewed: its lease has expired, terminals 2 and 3 still hold theirs.
    clock.advance(HOUR / 2 + 1);
    expect((await h.boot(4)).status).toBe(200);
    expect((await h.boot(1)).body).toMatchObject({ code: 'license_exhausted', count: 3 });
    expect((await h.boot(2)).status).toBe(200);
    const leases = await h.leases();
    expect(leases.items.filter((l) => l.valid).map((l) => l.mac)).toEqual([testMac(2), testMac(3), testMac(4)]);
  });

  it('an admin revoke frees a lease at once', async () => {
    const vendor = await testVendor();
    const h = await server(vendor);
    await h.install(await vendor.sign(licensePayload(h.installationId, { products: [{ product: 'terminal-connection', quantity: 1, appliesTo: 'primary' }] })));
    await h.addTerminals(1, 2);
    expect((await h.boot(1)).status).toBe(200);
    expect((await h.boot(2)).body.code).toBe('license_exhausted');
    const revoke = await h.request('DELETE', `/api/v1/leases/${testMac(1).toUpperCase().replace(/:/g, '-')}`, { token: h.adminToken });
    expect(revoke.status).toBe(204);
    expect((await h.request('DELETE', `/api/v1/leases/${testMac(1)}`, { token: h.adminToken })).status).toBe(404);
    expect((await h.boot(2)).status).toBe(200);
    expect((await h.boot(1)).body.code).toBe('license_exhausted');
    const events = await h.request('GET', '/api/v1/audit-events?entity=lease', { token: h.adminToken });
    expect(events.body.items.map((e: { action: string }) => e.action)).toContain('lease.revoke');
  });

  it('a check-in from a terminal without a lease (booted from a relay cache) takes one if there is room', async () => {
    const vendor = await testVendor();
    const h = await server(vendor);
    await h.install(await vendor.sign(licensePayload(h.installationId, { products: [{ product: 'terminal-connection', quantity: 1, appliesTo: 'primary' }] })));
    await h.addTerminals(1, 2);
    expect((await h.checkIn(1)).headers.get('tandem-lease')).toBe('granted');
    expect((await h.checkIn(2)).headers.get('tandem-lease')).toBe('refused');
    expect((await h.checkIn(2)).status).toBe(204);
    expect((await h.leases()).items.map((l) => l.mac)).toEqual([testMac(1)]);
  });

  it('unknown terminals take no lease: they are recorded as pending', async () => {
    const vendor = await testVendor();
    const h = await server(vendor);
    await h.install(await vendor.sign(licensePayload(h.installationId, { products: [{ product: 'terminal-connection', quantity: 1, appliesTo: 'primary' }] })));
    expect((await h.boot(99)).body.code).toBe('unknown_terminal');
    expect((await h.leases()).total).toBe(0);
  });

  it('demo mode (no licence) serves at most 5 terminals on one server', async () => {
    const vendor = await testVendor();
    const h = await server(vendor);
    await h.addTerminals(1, 6);
    for (const n of [1, 2, 3, 4, 5]) expect((await h.boot(n)).status).toBe(200);
    expect((await h.boot(6)).body).toMatchObject({ code: 'license_exhausted', count: 5, mode: 'demo' });
  });

  it('shows leases against the licensed count in the licence view and /metrics', async () => {
    const vendor = await testVendor();
    const h = await server(vendor);
    await h.install(await vendor.sign(licensePayload(h.installationId, { products: [{ product: 'terminal-connection', quantity: 7, appliesTo: 'primary' }] })));
    await h.addTerminals(1, 2);
    await h.boot(1);
    await h.boot(2);
    const view = await h.request('GET', '/api/v1/license', { token: h.adminToken });
    expect(view.body.servers).toEqual([expect.objectContaining({ self: true, licensed: 7, leases: 2 })]);
    const metrics = await h.request('GET', '/metrics', { token: h.adminToken });
    expect(metrics.body).toContain('tandem_license_leases_in_use 2');
  });
});

describe('expired licences', () => {
  it('keep serving through the grace period with warnings in /healthz and the event log, then refuse new leases', async () => {
    const vendor = await testVendor();
    const clock = testClock('2027-03-01T08:00:00Z');
    const h = await server(vendor, { now: clock.now, licensing: { graceDays: 2, leaseTtlSeconds: 7 * DAY } });
    await h.install(
      await vendor.sign(
        licensePayload(h.installationId, { issuedAt: '2027-01-01T00:00:00Z', expiresAt: '2027-03-02T08:00:00Z', products: [{ product: 'terminal-connection', quantity: 10, appliesTo: 'primary' }] }),
      ),
    );
    await h.addTerminals(1, 3);
    expect((await h.boot(1)).status).toBe(200);
    expect((await h.request('GET', '/healthz')).body.warnings).toEqual([]);

    clock.advance(1.5 * DAY); // expired half a day ago: in grace
    const inGrace = await h.request('GET', '/healthz');
    expect(inGrace.status).toBe(200);
    expect(inGrace.body.license.state).toBe('grace');
    expect(inGrace.body.warnings.join(' ')).toMatch(/license_grace_period/);
    expect((await h.boot(2)).status).toBe(200);
    const events = async () => (await h.request('GET', '/api/v1/audit-events?entity=license', { token: h.adminToken })).body.items.map((e: { action: string }) => e.action);
    await expect.poll(events).toContain('license.grace-period');

    clock.advance(2 * DAY); // grace (2 days from expiry) over
    expect((await h.boot(3)).body).toMatchObject({ code: 'license_expired', status: 403 });
    expect((await h.request('GET', '/healthz')).body.warnings.join(' ')).toMatch(/license_expired/);
    // Leases already held run out; they are no longer renewed.
    expect((await h.boot(1)).status).toBe(200);
    expect((await h.checkIn(1)).headers.get('tandem-lease')).toBe('held');
    await expect.poll(events).toContain('license.expired');
  });
});

describe('redundancy', () => {
  it('a secondary in demo mode refuses terminals with redundancy_not_licensed', async () => {
    const vendor = await testVendor();
    const h = await server(vendor, { role: 'secondary' });
    await h.addTerminals(1, 1);
    const res = await h.boot(1);
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ code: 'redundancy_not_licensed', mode: 'demo' });
    const health = (await h.request('GET', '/healthz')).body;
    expect(health.warnings.join(' ')).toMatch(/redundancy_not_licensed/);
    expect(health.license).toMatchObject({ mode: 'demo', servesTerminals: false });
  });

  it('a secondary whose synchronised licence has no redundancy refuses terminals with redundancy_not_licensed', async () => {
    const vendor = await testVendor();
    const primary = await server(vendor);
    const secondary = await server(vendor, { role: 'secondary' });
    const file = await vendor.sign(licensePayload(primary.installationId));
    expect((await primary.install(file)).status).toBe(200);
    // What synchronisation does: copy the licence record, which tells licensing once committed.
    const row = (await primary.db.orm.select().from(licenses).all())[0];
    await secondary.db.write(async (tx) => {
      await tx.insert(licenses).values(row);
      noteForCommit(tx, 'license');
    });
    await secondary.addTerminals(1, 1);
    expect((await secondary.app.services.licensing.state()).mode).toBe('none');
    expect((await secondary.boot(1)).body).toMatchObject({ code: 'redundancy_not_licensed', mode: 'none' });
    expect(row.id).toBe(LICENSE_RECORD_ID);
  });

  it('with full redundancy each server leases up to its own count', async () => {
    const vendor = await testVendor();
    const primary = await server(vendor);
    const secondary = await server(vendor, { role: 'secondary' });
    const file = await vendor.sign(pairLicensePayload(primary.installationId, secondary.installationId, 'full', 2));
    expect((await primary.install(file)).status).toBe(200);
    expect((await secondary.install(file)).status).toBe(200);
    for (const h of [primary, secondary]) await h.addTerminals(1, 3);
    for (const h of [primary, secondary]) {
      expect((await h.boot(1)).status).toBe(200);
      expect((await h.boot(2)).status).toBe(200);
      expect((await h.boot(3)).body).toMatchObject({ code: 'license_exhausted', count: 2 });
    }
    expect((await secondary.app.services.licensing.state()).mode).toBe('full');
  });

  it('a licence that does not hold on this server (synchronised from elsewhere, other key) serves nobody, with its reason', async () => {
    const vendor = await testVendor();
    const other = await testVendor();
    const h = await server(vendor);
    const foreign = await other.sign(licensePayload(h.installationId));
    await h.db.write(async (tx) => {
      await tx.insert(licenses).values({ id: LICENSE_RECORD_ID, licenseId: foreign.payload.licenseId, file: JSON.stringify(foreign), createdAt: '2027-01-01T00:00:00Z', updatedAt: '2027-01-01T00:00:00Z' });
      noteForCommit(tx, 'license');
    });
    await h.addTerminals(1, 1);
    expect((await h.boot(1)).body.code).toBe('license_signature_invalid');
    expect((await h.request('GET', '/api/v1/license', { token: h.adminToken })).body).toMatchObject({ installed: true, state: 'invalid', problem: { code: 'license_signature_invalid' } });
  });
});
