import { afterEach, describe, expect, it } from 'vitest';
import { verifyShadowGrant } from '../../functions/domain/shadow-grant';
import { importPublicKey } from '../../functions/domain/signing';
import type { AppDeps } from '../../functions/deps';
import { licensedInProcess, testClock, testMac, testVendor } from '../support/licensing';

const open: { close: () => void }[] = [];
afterEach(() => {
  for (const h of open.splice(0)) h.close();
});
async function server(overrides: Partial<AppDeps> = {}) {
  const h = await licensedInProcess(await testVendor(), overrides);
  open.push(h);
  return h;
}

describe('shadowing', () => {
  it('grants a signed, short-lived permission that a relay verifies offline with the server key', async () => {
    const clock = testClock('2027-03-01T08:00:00Z');
    const h = await server({ now: clock.now });
    await h.addTerminals(1, 1);
    const terminal = (await h.request('GET', `/api/v1/terminals?mac=${testMac(1)}`, { token: h.adminToken })).body.items[0];
    const operator = (await h.request('POST', '/api/v1/tokens', { token: h.adminToken, body: { role: 'operator', name: 'alice' } })).body.token;

    const res = await h.request('POST', `/api/v1/terminals/${terminal.id}/shadow`, { token: operator, body: { mode: 'interactive', ttlSeconds: 120 } });
    expect(res.status).toBe(201);
    expect(res.body.grant.payload).toMatchObject({
      terminal: { id: terminal.id, mac: testMac(1), name: 'terminal-1' },
      grantedTo: 'operator:alice',
      mode: 'interactive',
      installationId: h.installationId,
      issuedAt: '2027-03-01T08:00:00.000Z',
      expiresAt: '2027-03-01T08:02:00.000Z',
    });

    // What a relay does, offline: the server's public key (fetched once), the grant, its own clock.
    const identity = await h.request('GET', '/api/v1/server', { token: h.relayToken });
    expect(identity.body.shadowGrantKey.publicKey).toBe(res.body.publicKey);
    const key = await importPublicKey(identity.body.shadowGrantKey.publicKey);
    expect(await verifyShadowGrant(res.body.grant, key, new Date('2027-03-01T08:01:00Z'), testMac(1))).toMatchObject({ ok: true });
    expect(await verifyShadowGrant(res.body.grant, key, new Date('2027-03-01T08:02:00Z'), testMac(1))).toEqual({ ok: false, reason: 'expired' });
    const tampered = structuredClone(res.body.grant);
    tampered.payload.expiresAt = '2027-03-02T08:00:00.000Z';
    expect(await verifyShadowGrant(tampered, key, new Date('2027-03-01T08:01:00Z'))).toEqual({ ok: false, reason: 'signature' });

    const audit = await h.request('GET', `/api/v1/audit-events?entity=terminal&entityId=${terminal.id}`, { token: h.adminToken });
    expect(audit.body.items[0]).toMatchObject({ action: 'shadow.grant', actor: 'operator:alice' });
  });

  it('defaults to view-only for five minutes, takes a MAC for the terminal, and bounds the lifetime', async () => {
    const h = await server();
    await h.addTerminals(1, 1);
    const res = await h.request('POST', `/api/v1/terminals/${testMac(1)}/shadow`, { token: h.adminToken, body: {} });
    expect(res.status).toBe(201);
    expect(res.body.grant.payload.mode).toBe('view-only');
    expect(Date.parse(res.body.grant.payload.expiresAt) - Date.parse(res.body.grant.payload.issuedAt)).toBe(300_000);
    expect((await h.request('POST', `/api/v1/terminals/${testMac(1)}/shadow`, { token: h.adminToken, body: { ttlSeconds: 86_400 } })).body.code).toBe('invalid_field');
    expect((await h.request('POST', '/api/v1/terminals/nope/shadow', { token: h.adminToken, body: {} })).status).toBe(404);
  });

  it('is not for viewers', async () => {
    const h = await server();
    await h.addTerminals(1, 1);
    const viewer = (await h.request('POST', '/api/v1/tokens', { token: h.adminToken, body: { role: 'viewer', name: 'v' } })).body.token;
    expect((await h.request('POST', `/api/v1/terminals/${testMac(1)}/shadow`, { token: viewer, body: {} })).body.code).toBe('forbidden_role');
  });

  it('is refused on a secondary that is not licensed for redundancy', async () => {
    const h = await server({ role: 'secondary' });
    await h.addTerminals(1, 1);
    const res = await h.request('POST', `/api/v1/terminals/${testMac(1)}/shadow`, { token: h.adminToken, body: {} });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('redundancy_not_licensed');
  });
});
