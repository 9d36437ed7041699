import { describe, expect, it } from 'vitest';
import { shadowGrantPayload, signShadowGrant, verifyShadowGrant } from './shadow-grant';
import { generateKeyPair, importPrivateKey, importPublicKey } from './signing';

describe('shadow grants', async () => {
  const server = await generateKeyPair();
  const signingKey = await importPrivateKey(server.privateKey);
  const publicKey = await importPublicKey(server.publicKey);
  const issuedAt = new Date('2027-03-01T10:00:00Z');
  const payload = shadowGrantPayload({
    grantId: 'g-1',
    installationId: 'TDM-AAAA-AAAA-AAAA-AAAA',
    serverId: 'primary',
    terminal: { id: 't-1', mac: 'aa:bb:cc:00:00:01', name: 'press-1' },
    grantedTo: 'operator:alice',
    mode: 'view-only',
    now: issuedAt,
    ttlSeconds: 300,
  });
  const at = (seconds: number) => new Date(issuedAt.getTime() + seconds * 1000);

  it('verifies offline with the issuing server\'s public key until it expires', async () => {
    const grant = await signShadowGrant(payload, signingKey);
    expect(payload.expiresAt).toBe('2027-03-01T10:05:00.000Z');
    expect(await verifyShadowGrant(grant, publicKey, at(10), 'aa:bb:cc:00:00:01')).toEqual({ ok: true, grant: payload });
    expect(await verifyShadowGrant(grant, publicKey, at(300))).toEqual({ ok: false, reason: 'expired' });
    expect(await verifyShadowGrant(grant, publicKey, at(-600))).toEqual({ ok: false, reason: 'not-yet-valid' });
  });

  it('refuses a grant that was changed, signed by another server, or is for another terminal', async () => {
    const grant = await signShadowGrant(payload, signingKey);
    const widened = { ...grant, payload: { ...grant.payload, mode: 'interactive' } };
    expect(await verifyShadowGrant(widened, publicKey, at(10))).toEqual({ ok: false, reason: 'signature' });
    const otherServer = await importPublicKey((await generateKeyPair()).publicKey);
    expect(await verifyShadowGrant(grant, otherServer, at(10))).toEqual({ ok: false, reason: 'signature' });
    expect(await verifyShadowGrant(grant, publicKey, at(10), 'aa:bb:cc:00:00:02')).toEqual({ ok: false, reason: 'other-terminal' });
    expect(await verifyShadowGrant({ nonsense: true }, publicKey, at(10))).toEqual({ ok: false, reason: 'malformed' });
  });
});
