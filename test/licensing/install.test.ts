import { afterEach, describe, expect, it } from 'vitest';
import { LICENSE_RECORD_ID } from '../../functions/domain/license';
import type { AppDeps } from '../../functions/deps';
import { licensedInProcess, licensePayload, pairLicensePayload, testVendor, type TestVendor } from '../support/licensing';

const open: { close: () => void }[] = [];
afterEach(() => {
  for (const h of open.splice(0)) h.close();
});

async function handlerWith(vendor: TestVendor, overrides: Partial<AppDeps> = {}) {
  const h = await licensedInProcess(vendor, overrides);
  open.push(h);
  return h;
}

describe('installing a licence', () => {
  it('shows a stable installation id per server, made at first start', async () => {
    const vendor = await testVendor();
    const a = await handlerWith(vendor);
    const b = await handlerWith(vendor);
    expect(a.installationId).toMatch(/^TDM(-[0-9A-Z]{4}){4}$/);
    expect(b.installationId).not.toBe(a.installationId);
    expect((await a.request('GET', '/api/v1/server', { token: a.adminToken })).body.installationId).toBe(a.installationId);
  });

  it('installs a licence signed for this installation and shows it with usage', async () => {
    const vendor = await testVendor();
    const h = await handlerWith(vendor);
    const res = await h.install(await vendor.sign(licensePayload(h.installationId, { products: [{ product: 'terminal-connection', quantity: 12, appliesTo: 'primary' }] })));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ installed: true, mode: 'none', state: 'valid', problem: null, version: 1 });
    expect(res.body.servers).toEqual([expect.objectContaining({ installationId: h.installationId, role: 'primary', self: true, licensed: 12, leases: 0 })]);
    const view = await h.request('GET', '/api/v1/license', { token: h.adminToken });
    expect(view.body.license.products).toEqual([{ product: 'terminal-connection', quantity: 12, appliesTo: 'primary' }]);
  });

  it('replaces the licence as a versioned record, with audit events', async () => {
    const vendor = await testVendor();
    const h = await handlerWith(vendor);
    await h.install(await vendor.sign(licensePayload(h.installationId)));
    const second = await h.install(await vendor.sign(licensePayload(h.installationId, { licenseId: 'LIC-RENEWED', issuedAt: new Date().toISOString() })));
    expect(second.body).toMatchObject({ version: 2, license: { licenseId: 'LIC-RENEWED' } });
    const events = await h.request('GET', `/api/v1/audit-events?entity=license&entityId=${LICENSE_RECORD_ID}`, { token: h.adminToken });
    expect(events.body.items.map((e: { action: string }) => e.action)).toEqual(['license.update', 'license.create']);
  });

  it('refuses a forged signature with license_signature_invalid', async () => {
    const vendor = await testVendor();
    const h = await handlerWith(vendor);
    const file = await vendor.sign(licensePayload(h.installationId, { products: [{ product: 'terminal-connection', quantity: 10, appliesTo: 'primary' }] }));
    file.payload.products = [{ product: 'terminal-connection', quantity: 10_000, appliesTo: 'primary' }];
    const res = await h.install(file);
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.body.code).toBe('license_signature_invalid');
  });

  it('refuses a licence signed with a key other than TANDEM_LICENSE_PUBLIC_KEY', async () => {
    const vendor = await testVendor();
    const impostor = await testVendor();
    const h = await handlerWith(vendor);
    const res = await h.install(await impostor.sign(licensePayload(h.installationId)));
    expect(res.body.code).toBe('license_signature_invalid');
  });

  it("refuses another installation's licence with license_wrong_installation", async () => {
    const vendor = await testVendor();
    const h = await handlerWith(vendor);
    const other = await handlerWith(vendor);
    const res = await h.install(await vendor.sign(licensePayload(other.installationId)));
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('license_wrong_installation');
    expect(res.body.installationId).toBe(h.installationId);
  });

  it('refuses a licence expired past its grace period with license_expired', async () => {
    const vendor = await testVendor();
    const h = await handlerWith(vendor, { licensing: { graceDays: 10 } });
    const day = 86_400_000;
    const res = await h.install(
      await vendor.sign(licensePayload(h.installationId, { issuedAt: new Date(Date.now() - 400 * day).toISOString(), expiresAt: new Date(Date.now() - 11 * day).toISOString() })),
    );
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('license_expired');
    expect(res.body.graceEndsAt).toBeTruthy();
  });

  it('refuses full redundancy without redundant licences with license_inconsistent naming the rule', async () => {
    const vendor = await testVendor();
    const primary = await handlerWith(vendor);
    const secondary = await handlerWith(vendor, { role: 'secondary' });
    const payload = pairLicensePayload(primary.installationId, secondary.installationId, 'full', 50);
    payload.products = [{ product: 'terminal-connection', quantity: 50, appliesTo: 'primary' }];
    const res = await primary.install(await vendor.sign(payload));
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('license_inconsistent');
    expect(res.body.rule).toBe('full-needs-redundant-connections');
  });

  it('refuses mirrored redundancy without mirrored licences with license_inconsistent naming the rule', async () => {
    const vendor = await testVendor();
    const primary = await handlerWith(vendor);
    const secondary = await handlerWith(vendor, { role: 'secondary' });
    const payload = pairLicensePayload(primary.installationId, secondary.installationId, 'mirrored', 50);
    payload.products = [{ product: 'redundant-terminal-connection', quantity: 50 }];
    const res = await primary.install(await vendor.sign(payload));
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('license_inconsistent');
    expect(res.body.rule).toBe('mirrored-needs-mirrored-connections');
  });

  it('refuses a licence without redundancy that licenses the secondary', async () => {
    const vendor = await testVendor();
    const h = await handlerWith(vendor);
    const res = await h.install(await vendor.sign(licensePayload(h.installationId, { products: [{ product: 'terminal-connection', quantity: 5, appliesTo: 'secondary' }] })));
    expect(res.body).toMatchObject({ code: 'license_inconsistent', rule: 'none-licenses-primary-only' });
  });

  it('refuses a body that is not a licence file, and leaves the installed licence alone', async () => {
    const vendor = await testVendor();
    const h = await handlerWith(vendor);
    await h.install(await vendor.sign(licensePayload(h.installationId, { licenseId: 'LIC-KEPT' })));
    const res = await h.install({ license: 'nope' });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('invalid_field');
    expect((await h.request('GET', '/api/v1/license', { token: h.adminToken })).body.license.licenseId).toBe('LIC-KEPT');
  });

  it('lets only admins install a licence', async () => {
    const vendor = await testVendor();
    const h = await handlerWith(vendor);
    const token = await h.request('POST', '/api/v1/tokens', { token: h.adminToken, body: { role: 'operator', name: 'op' } });
    const res = await h.request('PUT', '/api/v1/license', { token: token.body.token, body: await vendor.sign(licensePayload(h.installationId)) });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('forbidden_role');
  });

  it('runs in demo mode without a licence, and says so', async () => {
    const vendor = await testVendor();
    const h = await handlerWith(vendor);
    const view = await h.request('GET', '/api/v1/license', { token: h.adminToken });
    expect(view.body).toMatchObject({ installed: false, mode: 'demo', state: 'demo', license: null });
    expect(view.body.servers).toEqual([expect.objectContaining({ licensed: 5, leases: 0, self: true })]);
  });
});
