import { describe, expect, it } from 'vitest';
import {
  checkLicenseForInstall,
  consistencyViolations,
  expiryOf,
  judgeLicenseFile,
  LICENSE_FORMAT,
  licensedTerminals,
  redundancyOf,
  servingRefusal,
  type LicensePayload,
} from './license';
import { generateKeyPair, importPrivateKey, importPublicKey, signDocument } from './signing';

const P = 'TDM-AAAA-AAAA-AAAA-AAAA';
const S = 'TDM-BBBB-BBBB-BBBB-BBBB';
const now = new Date('2027-06-01T12:00:00Z');

const base = (overrides: Partial<LicensePayload> = {}): LicensePayload => ({
  format: LICENSE_FORMAT,
  licenseId: 'LIC-1',
  customer: 'ACME Pressworks',
  edition: 'standard',
  redundancy: 'none',
  installations: [{ id: P, role: 'primary' }],
  products: [{ product: 'terminal-connection', quantity: 20, appliesTo: 'primary' }],
  issuedAt: '2027-01-01T00:00:00Z',
  expiresAt: '2028-01-01T00:00:00Z',
  ...overrides,
});
const pair = [
  { id: P, role: 'primary' as const },
  { id: S, role: 'secondary' as const },
];
const rules = (license: LicensePayload) => consistencyViolations(license).map((v) => v.rule);

describe('consistency rules', () => {
  it('accepts the licences of the redundancy table', () => {
    expect(rules(base())).toEqual([]);
    expect(rules(base({ redundancy: 'mirrored', installations: pair, products: [{ product: 'mirrored-terminal-connection', quantity: 20 }] }))).toEqual([]);
    expect(rules(base({ redundancy: 'full', installations: pair, products: [{ product: 'redundant-terminal-connection', quantity: 20 }] }))).toEqual([]);
    expect(
      rules(
        base({
          redundancy: 'full',
          installations: pair,
          products: [
            { product: 'terminal-connection', quantity: 20, appliesTo: 'primary' },
            { product: 'terminal-connection', quantity: 20, appliesTo: 'secondary' },
          ],
        }),
      ),
    ).toEqual([]);
    expect(rules(base({ edition: 'enterprise', redundancy: 'full', installations: pair, products: [{ product: 'redundant-terminal-connection', quantity: 5 }] }))).toEqual([]);
  });

  it('full redundancy needs redundant connections, or terminal connections on both servers', () => {
    expect(rules(base({ redundancy: 'full', installations: pair }))).toEqual(['full-needs-redundant-connections']);
  });

  it('mirrored redundancy needs mirrored connections', () => {
    expect(rules(base({ redundancy: 'mirrored', installations: pair }))).toEqual(['mirrored-needs-mirrored-connections']);
  });

  it('no redundancy licenses the primary only', () => {
    expect(rules(base({ products: [{ product: 'terminal-connection', quantity: 5, appliesTo: 'secondary' }] }))).toEqual(['none-licenses-primary-only']);
    expect(rules(base({ products: [{ product: 'redundant-terminal-connection', quantity: 5 }] }))).toEqual(['none-licenses-primary-only']);
    expect(rules(base({ installations: pair }))).toEqual(['installations-fit-redundancy']);
    expect(rules(base({ installations: [{ id: P, role: 'secondary' }] }))).toEqual(['installations-fit-redundancy']);
  });

  it('a pair licence binds two different installations, one of each role', () => {
    const products = [{ product: 'redundant-terminal-connection' as const, quantity: 5 }];
    expect(rules(base({ redundancy: 'full', products }))).toEqual(['installations-fit-redundancy']);
    expect(rules(base({ redundancy: 'full', products, installations: [{ id: P, role: 'primary' }, { id: P, role: 'secondary' }] }))).toEqual(['installations-fit-redundancy']);
    expect(rules(base({ redundancy: 'full', products, installations: [{ id: P, role: 'primary' }, { id: S, role: 'primary' }] }))).toEqual(['installations-fit-redundancy']);
  });

  it('an enterprise licence is full, and says so', () => {
    expect(redundancyOf(base({ edition: 'enterprise' }))).toBe('full');
    expect(rules(base({ edition: 'enterprise', installations: pair, products: [{ product: 'redundant-terminal-connection', quantity: 5 }] }))).toEqual(['enterprise-includes-full']);
  });

  it('products belong to their redundancy, and dates run forwards', () => {
    expect(rules(base({ redundancy: 'full', installations: pair, products: [{ product: 'redundant-terminal-connection', quantity: 5 }, { product: 'mirrored-terminal-connection', quantity: 5 }] }))).toEqual([
      'products-fit-redundancy',
    ]);
    expect(rules(base({ expiresAt: '2026-12-31T00:00:00Z' }))).toEqual(['expiry-after-issue']);
  });
});

describe('licensed terminals per server', () => {
  it('counts terminal connections where applied, redundant and mirrored ones on both servers', () => {
    const full = base({
      redundancy: 'full',
      installations: pair,
      products: [
        { product: 'redundant-terminal-connection', quantity: 100 },
        { product: 'terminal-connection', quantity: 10, appliesTo: 'primary' },
      ],
    });
    expect(licensedTerminals(full, 'primary')).toBe(110);
    expect(licensedTerminals(full, 'secondary')).toBe(100);
    const mirrored = base({ redundancy: 'mirrored', installations: pair, products: [{ product: 'mirrored-terminal-connection', quantity: 40 }] });
    expect(licensedTerminals(mirrored, 'secondary')).toBe(40);
    expect(licensedTerminals(base(), 'primary')).toBe(20);
    expect(licensedTerminals(base(), 'secondary')).toBe(0);
  });
});

describe('expiry and grace', () => {
  const license = base({ expiresAt: '2027-06-01T00:00:00Z' });
  it('is valid before expiry, in grace for the grace days after, then expired', () => {
    expect(expiryOf(license, new Date('2027-05-31T23:59:59Z'), 14).state).toBe('valid');
    expect(expiryOf(license, new Date('2027-06-01T00:00:00Z'), 14).state).toBe('grace');
    expect(expiryOf(license, new Date('2027-06-14T23:59:59Z'), 14)).toMatchObject({ state: 'grace', graceEndsAt: '2027-06-15T00:00:00.000Z' });
    expect(expiryOf(license, new Date('2027-06-15T00:00:00Z'), 14).state).toBe('expired');
    expect(expiryOf(license, new Date('2027-06-01T00:00:00Z'), 0).state).toBe('expired');
    expect(expiryOf(base({ expiresAt: null }), new Date('2100-01-01T00:00:00Z'), 0).state).toBe('perpetual');
  });
});

describe('judging a signed licence file', async () => {
  const vendor = await generateKeyPair();
  const signingKey = await importPrivateKey(vendor.privateKey);
  const publicKey = await importPublicKey(vendor.publicKey);
  const ctx = { publicKey, installationId: P, role: 'primary' as const };

  it('accepts a licence signed by the vendor for this installation', async () => {
    const verdict = await judgeLicenseFile(await signDocument(base(), signingKey), ctx);
    expect(verdict.problem).toBeNull();
    expect(verdict.mode).toBe('none');
  });

  it('refuses a payload changed after signing: license_signature_invalid', async () => {
    const file = await signDocument(base(), signingKey);
    const forged = { ...file, payload: { ...file.payload, products: [{ product: 'terminal-connection', quantity: 20000, appliesTo: 'primary' }] } };
    const verdict = await judgeLicenseFile(forged, ctx);
    expect(verdict.problem?.code).toBe('license_signature_invalid');
    expect(verdict.mode).toBe('demo');
  });

  it('refuses a licence signed with another key: license_signature_invalid', async () => {
    const other = await importPrivateKey((await generateKeyPair()).privateKey);
    expect((await judgeLicenseFile(await signDocument(base(), other), ctx)).problem?.code).toBe('license_signature_invalid');
  });

  it("refuses another installation's licence: license_wrong_installation", async () => {
    const verdict = await judgeLicenseFile(await signDocument(base({ installations: [{ id: S, role: 'primary' }] }), signingKey), ctx);
    expect(verdict.problem?.code).toBe('license_wrong_installation');
    expect(verdict.problem?.detail).toContain(P);
  });

  it('refuses a licence that binds this installation in the other role', async () => {
    const full = base({ redundancy: 'full', installations: pair, products: [{ product: 'redundant-terminal-connection', quantity: 5 }] });
    const verdict = await judgeLicenseFile(await signDocument(full, signingKey), { ...ctx, role: 'secondary' });
    expect(verdict.problem?.code).toBe('license_wrong_installation');
    expect(verdict.problem?.extra).toMatchObject({ licensedRole: 'primary', role: 'secondary' });
  });

  it('refuses an inconsistent licence naming the rule: license_inconsistent', async () => {
    const verdict = await judgeLicenseFile(await signDocument(base({ redundancy: 'mirrored', installations: pair }), signingKey), ctx);
    expect(verdict.problem?.code).toBe('license_inconsistent');
    expect(verdict.problem?.extra.rule).toBe('mirrored-needs-mirrored-connections');
  });

  it('installs within grace but refuses past it: license_expired', async () => {
    const file = await signDocument(base({ expiresAt: '2027-05-20T00:00:00Z' }), signingKey);
    await expect(checkLicenseForInstall(file, { ...ctx, now, graceDays: 30 })).resolves.toMatchObject({ licenseId: 'LIC-1' });
    await expect(checkLicenseForInstall(file, { ...ctx, now, graceDays: 7 })).rejects.toMatchObject({ code: 'license_expired', status: 422 });
  });
});

describe('which servers serve terminals', () => {
  it('a secondary needs redundancy; a primary serves in demo mode', () => {
    expect(servingRefusal({ mode: 'demo', problem: null }, 'primary')).toBeNull();
    expect(servingRefusal({ mode: 'demo', problem: null }, 'secondary')?.code).toBe('redundancy_not_licensed');
    expect(servingRefusal({ mode: 'none', problem: null }, 'secondary')?.code).toBe('redundancy_not_licensed');
    expect(servingRefusal({ mode: 'mirrored', problem: null }, 'secondary')).toBeNull();
    expect(servingRefusal({ mode: 'full', problem: null }, 'secondary')).toBeNull();
  });
});
