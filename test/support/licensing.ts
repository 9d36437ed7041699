import { LICENSE_FORMAT, type LicenseFile, type LicensePayload } from '../../functions/domain/license';
import { generateKeyPair, importPrivateKey, signDocument } from '../../functions/domain/signing';
import type { AppDeps } from '../../functions/deps';
import { inProcessHandler } from './in-process';

/** A vendor key pair made in the test: handlers are given its public key, licences are signed with its private key. */
export interface TestVendor {
  publicKey: string;
  sign: (payload: LicensePayload) => Promise<LicenseFile>;
}

export async function testVendor(): Promise<TestVendor> {
  const keys = await generateKeyPair();
  const signingKey = await importPrivateKey(keys.privateKey);
  return { publicKey: keys.publicKey, sign: (payload) => signDocument(payload, signingKey) as Promise<LicenseFile> };
}

const DAY = 86_400_000;

/** A consistent single-server licence for `primary`, valid a year around `now`; override what a test is about. */
export function licensePayload(primary: string, overrides: Partial<LicensePayload> = {}, now = new Date()): LicensePayload {
  return {
    format: LICENSE_FORMAT,
    licenseId: `LIC-TEST-${Math.random().toString(36).slice(2, 8).toUpperCase()}`,
    customer: 'Test plant',
    edition: 'standard',
    redundancy: 'none',
    installations: [{ id: primary, role: 'primary' }],
    products: [{ product: 'terminal-connection', quantity: 10, appliesTo: 'primary' }],
    issuedAt: new Date(now.getTime() - DAY).toISOString(),
    expiresAt: new Date(now.getTime() + 365 * DAY).toISOString(),
    ...overrides,
  };
}

/** A pair licence (full or mirrored) binding both installations, with `quantity` connections per server. */
export function pairLicensePayload(primary: string, secondary: string, redundancy: 'full' | 'mirrored', quantity: number, now = new Date()): LicensePayload {
  return licensePayload(
    primary,
    {
      redundancy,
      installations: [
        { id: primary, role: 'primary' },
        { id: secondary, role: 'secondary' },
      ],
      products: [{ product: redundancy === 'full' ? 'redundant-terminal-connection' : 'mirrored-terminal-connection', quantity }],
    },
    now,
  );
}

/** MACs aa:bb:cc:00:00:01, …: distinct, valid, readable. */
export const testMac = (n: number) =>
  `aa:bb:cc:${[(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff].map((b) => b.toString(16).padStart(2, '0')).join(':')}`;

/** A clock a test moves by hand: lease expiry and grace periods without waiting. */
export function testClock(start = '2027-03-01T08:00:00Z') {
  let t = Date.parse(start);
  return {
    now: () => new Date(t),
    advance: (seconds: number) => {
      t += seconds * 1000;
    },
  };
}

type InProcess = Awaited<ReturnType<typeof inProcessHandler>>;

/**
 * An in-process handler that verifies licences with `vendor`'s key, with
 * helpers for the licence and for terminals. Close it with `close()`.
 */
export async function licensedInProcess(vendor: TestVendor, overrides: Partial<AppDeps> = {}) {
  const h: InProcess = await inProcessHandler({ ...overrides, licensing: { publicKey: vendor.publicKey, ...overrides.licensing } });
  const server = await h.request('GET', '/api/v1/server', { token: h.adminToken });
  if (server.status !== 200) throw new Error(`GET /api/v1/server: ${server.status} ${JSON.stringify(server.body)}`);
  const relayToken = (await h.request('POST', '/api/v1/tokens', { token: h.adminToken, body: { role: 'relay', name: 'relay-a' } })).body.token as string;
  return {
    ...h,
    installationId: server.body.installationId as string,
    relayToken,
    install: (file: unknown) => h.request('PUT', '/api/v1/license', { token: h.adminToken, body: file }),
    /** Configures terminals testMac(from) … testMac(from + count - 1). */
    addTerminals: async (from: number, count: number) => {
      for (let n = from; n < from + count; n++) {
        const res = await h.request('POST', '/api/v1/terminals', { token: h.adminToken, body: { mac: testMac(n), name: `terminal-${n}` } });
        if (res.status !== 201) throw new Error(`terminal ${n}: ${res.status} ${JSON.stringify(res.body)}`);
      }
    },
    boot: (n: number, headers: Record<string, string> = {}) => h.request('GET', `/api/v1/boot/terminals/${testMac(n)}`, { token: relayToken, headers: { 'x-tandem-relay': 'relay-a', ...headers } }),
    checkIn: (n: number) => h.request('POST', '/api/v1/boot/checkins', { token: relayToken, body: { mac: testMac(n), relayId: 'relay-a', source: 'live' } }),
    leases: async () => (await h.request('GET', '/api/v1/leases?limit=1000', { token: h.adminToken })).body as { items: { mac: string; valid: boolean }[]; total: number },
  };
}
