import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_LICENSE_PUBLIC_KEY } from '../../functions/domain/license';
import { DEMO_PRIVATE_KEY_FILE } from '../../infra/demo/install-demo-license';
import { issueLicense } from '../../infra/license/issue';
import { repoRoot } from '../../infra/local/processes';
import { apiClient, createToken, type ApiClient, type HandlerProcess } from '../support/handler';
import { handlersPerTest, logEntries } from '../support/handlers-per-test';
import { testMac } from '../support/licensing';

const handler = handlersPerTest();

/** What anyone can make with the private key that ships in infra/demo/: a licence for a million terminals. */
async function demoSignedLicence(admin: ApiClient) {
  const { installationId } = (await admin.get('/api/v1/server')).body;
  return issueLicense(
    { customer: 'Anyone', redundancy: 'none', primary: installationId, products: [{ product: 'terminal-connection', quantity: 1_000_000, appliesTo: 'primary' }], expiresAt: null },
    readFileSync(DEMO_PRIVATE_KEY_FILE, 'utf8'),
  );
}

/** The start-up log line that tells the licensing state. */
const licensingLine = (h: HandlerProcess) => logEntries(h).find((entry) => entry.msg === 'licensing') as { warnings: string[] };

describe('the demo licence key', () => {
  it('is refused by a handler without TANDEM_LICENSE_PUBLIC_KEY, which runs in demo mode only (one server, 5 terminals)', async () => {
    const h = await handler({ TANDEM_DEMO: '' });
    const admin = apiClient(h.url, h.adminToken);

    const installed = await admin.call('PUT', '/api/v1/license', await demoSignedLicence(admin));
    expect(installed.status).toBe(422);
    expect(installed.body).toMatchObject({ code: 'license_demo_key_refused', detail: expect.stringContaining('TANDEM_LICENSE_PUBLIC_KEY') });

    const view = (await admin.get('/api/v1/license')).body;
    expect(view).toMatchObject({ installed: false, mode: 'demo', licensePublicKey: { fingerprint: null, demo: false } });
    expect(view.warnings).toContainEqual(expect.stringMatching(/^license_key_not_configured: TANDEM_LICENSE_PUBLIC_KEY is not set/));
    expect(licensingLine(h).warnings).toContainEqual(expect.stringMatching(/^license_key_not_configured:/));

    const relay = apiClient(h.url, await createToken(admin, 'relay'));
    for (let n = 1; n <= 6; n++) await admin.post('/api/v1/terminals', { mac: testMac(n), name: `t-${n}` });
    for (let n = 1; n <= 5; n++) expect((await relay.get(`/api/v1/boot/terminals/${testMac(n)}`)).status).toBe(200);
    expect((await relay.get(`/api/v1/boot/terminals/${testMac(6)}`)).body).toMatchObject({ code: 'license_exhausted', count: 5, mode: 'demo' });
  });

  it('is trusted on a demo system (TANDEM_DEMO=1), with a warning in /healthz, the start-up log and the licence view', async () => {
    const h = await handler({ TANDEM_DEMO: '1' });
    const admin = apiClient(h.url, h.adminToken);
    const warning = expect.stringMatching(/^license_demo_key: .*anyone can sign a licence this server accepts/);

    expect((await (await fetch(`${h.url}/healthz`)).json()).warnings).toContainEqual(warning);
    expect(licensingLine(h).warnings).toContainEqual(warning);
    expect((await admin.call('PUT', '/api/v1/license', await demoSignedLicence(admin))).status).toBe(200);
    const view = (await admin.get('/api/v1/license')).body;
    expect(view).toMatchObject({ mode: 'none', state: 'perpetual', licensePublicKey: { demo: true } });
    expect(view.warnings).toContainEqual(warning);
  });

  it('named as TANDEM_LICENSE_PUBLIC_KEY without TANDEM_DEMO=1, keeps the handler from starting', async () => {
    await expect(handler({ TANDEM_DEMO: '', TANDEM_LICENSE_PUBLIC_KEY: DEMO_LICENSE_PUBLIC_KEY })).rejects.toThrow(
      /TANDEM_LICENSE_PUBLIC_KEY is the demo key, whose private half is published with Tandem/,
    );
  });

  it('is not read by any code of the handler or the relay: a production install needs no infra/demo/', () => {
    const files = (dir: string): string[] =>
      readdirSync(dir).flatMap((name) => {
        const path = join(dir, name);
        return statSync(path).isDirectory() ? files(path) : [path];
      });
    const readers = ['functions', 'relay']
      .flatMap((dir) => files(join(repoRoot, dir)))
      .filter((path) => /\.(ts|mts|js|mjs|cjs|json)$/.test(path))
      // The key file by name, the constant that names it, or any import from infra/ (which the layering forbids anyway).
      .filter((path) => /DEMO-ONLY-license-signing-key|DEMO_PRIVATE_KEY_FILE|(from |import\()'(\.\.\/)+infra\//.test(readFileSync(path, 'utf8')));
    expect(readers).toEqual([]);
  });
});
