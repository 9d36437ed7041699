import { afterEach, describe, expect, it } from 'vitest';
import { licensedInProcess, licensePayload, testVendor } from '../support/licensing';

const open: { close: () => void }[] = [];
afterEach(() => {
  for (const h of open.splice(0)) h.close();
});

const DAY = 86_400_000;

describe('a licence cannot be rolled back', () => {
  it('refuses a superseded licence file (a replay), and keeps the newer one', async () => {
    const vendor = await testVendor();
    const h = await licensedInProcess(vendor);
    open.push(h);
    const now = Date.now();
    const older = await vendor.sign(licensePayload(h.installationId, { licenseId: 'LIC-2026', issuedAt: new Date(now - 30 * DAY).toISOString() }));
    const newer = await vendor.sign(licensePayload(h.installationId, { licenseId: 'LIC-2027', issuedAt: new Date(now - DAY).toISOString() }));
    expect((await h.install(older)).status).toBe(200);
    expect((await h.install(newer)).status).toBe(200);

    const replay = await h.install(older);
    expect(replay.status).toBe(409);
    expect(replay.body).toMatchObject({ code: 'license_not_newer' });
    expect((await h.request('GET', '/api/v1/license', { token: h.adminToken })).body.license.licenseId).toBe('LIC-2027');
    // The same file again changes nothing and is no error.
    expect((await h.install(newer)).status).toBe(200);
  });

  it('refuses to revert a licence change, for an operator as for an admin', async () => {
    const vendor = await testVendor();
    const h = await licensedInProcess(vendor);
    open.push(h);
    const now = Date.now();
    await h.install(await vendor.sign(licensePayload(h.installationId, { licenseId: 'LIC-A', issuedAt: new Date(now - 2 * DAY).toISOString() })));
    await h.install(await vendor.sign(licensePayload(h.installationId, { licenseId: 'LIC-B', issuedAt: new Date(now - DAY).toISOString() })));
    const changes = (await h.request('GET', '/api/v1/changes?entity=license', { token: h.adminToken })).body.items;
    expect(changes).toHaveLength(2);
    const operator = (await h.request('POST', '/api/v1/tokens', { token: h.adminToken, body: { role: 'operator', name: 'op' } })).body.token;
    for (const change of changes)
      for (const token of [operator, h.adminToken]) {
        const res = await h.request('POST', `/api/v1/changes/${change.changeId}/revert?force=true`, { token });
        expect(res.status).toBe(403);
        expect(res.body.code).toBe('license_revert_refused');
      }
    expect((await h.request('GET', '/api/v1/license', { token: h.adminToken })).body).toMatchObject({ installed: true, license: { licenseId: 'LIC-B' } });
  });
});
