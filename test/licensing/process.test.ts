import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_LICENSE_TERMINALS, installDemoLicense } from '../../infra/demo/install-demo-license';
import { main as licenseToolInProcess } from '../../infra/license/cli';
import { apiClient, apiClientOver, createToken, startHandler, type HandlerProcess } from '../support/handler';
import { inProcessHandlerFromEnv } from '../support/in-process';
import { licensePayload, testClock, testMac, testVendor } from '../support/licensing';
import { repoRoot } from '../../infra/local/processes';

const run = promisify(execFile);
const started: HandlerProcess[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((h) => h.stop()));
});
async function handler(env: Record<string, string> = {}) {
  const h = await startHandler({ env });
  started.push(h);
  return h;
}

/** The same tool without a process: for the checks that need no files from another process. */
async function licenseToolHere(...args: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const code = await licenseToolInProcess(args, (line) => lines.push(line), {});
  return { code, out: lines.join('\n') };
}

/** `npm run license -- …`, as the vendor runs it. */
async function licenseTool(...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout } = await run('npm', ['run', '-s', 'license', '--', ...args], { cwd: repoRoot });
    return { code: 0, out: stdout };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

describe('licensing on real handler processes', () => {
  it('a lease not renewed expires after TANDEM_LEASE_TTL_SECONDS and frees its connection', async () => {
    const vendor = await testVendor();
    // The environment allows an hour at least: the handler reads it as in production, under a test clock.
    const clock = testClock();
    const h = await inProcessHandlerFromEnv({ TANDEM_LICENSE_PUBLIC_KEY: vendor.publicKey, TANDEM_LEASE_TTL_SECONDS: '3600' }, { now: clock.now });
    const admin = apiClientOver(h.request, h.adminToken);
    const relay = apiClientOver(h.request, (await admin.post('/api/v1/tokens', { role: 'relay', name: 'relay-a' })).body.token);
    const { installationId } = (await admin.get('/api/v1/server')).body;
    await admin.call('PUT', '/api/v1/license', await vendor.sign(licensePayload(installationId, { products: [{ product: 'terminal-connection', quantity: 3, appliesTo: 'primary' }] }, clock.now())));
    for (let n = 1; n <= 4; n++) await admin.post('/api/v1/terminals', { mac: testMac(n), name: `t-${n}` });
    for (let n = 1; n <= 3; n++) expect((await relay.get(`/api/v1/boot/terminals/${testMac(n)}`)).status).toBe(200);
    expect((await relay.get(`/api/v1/boot/terminals/${testMac(4)}`)).body).toMatchObject({ code: 'license_exhausted', count: 3 });
    // No check-ins: the leases run out, and terminal 4 gets one.
    clock.advance(3600);
    expect((await relay.get(`/api/v1/boot/terminals/${testMac(4)}`)).status).toBe(200);
    expect((await admin.get('/api/v1/leases')).body.items.filter((l: { valid: boolean }) => l.valid).map((l: { mac: string }) => l.mac)).toContain(testMac(4));
    h.close();
  });

  it('the vendor tool makes a key pair and issues a licence the handler accepts; inspect tells a tampered one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tandem-vendor-'));
    const keygen = await licenseTool('keygen', '--out', dir);
    expect(keygen.code).toBe(0);
    const publicKey = readFileSync(join(dir, 'license-public-key.txt'), 'utf8').trim();
    const h = await handler({ TANDEM_LICENSE_PUBLIC_KEY: publicKey });
    const admin = apiClient(h.url, h.adminToken);
    const { installationId } = (await admin.get('/api/v1/server')).body;

    const file = join(dir, 'licence.json');
    const issue = await licenseTool('issue', '--key', join(dir, 'license-signing-key.pem'), '--customer', 'ACME Pressworks', '--redundancy', 'none', '--primary', installationId, '--product', 'terminal-connection:25@primary', '--expires', '2099-12-31', '--out', file);
    expect(issue.code).toBe(0);
    const inspect = await licenseToolHere('inspect', file, `--public-key=${publicKey}`, '--installation', installationId);
    expect(inspect.out).toContain('a handler would accept this licence');
    expect(inspect.code).toBe(0);

    const installed = await admin.call('PUT', '/api/v1/license', JSON.parse(readFileSync(file, 'utf8')));
    expect(installed.status).toBe(200);
    expect(installed.body).toMatchObject({ mode: 'none', license: { customer: 'ACME Pressworks' }, servers: [{ licensed: 25, self: true }] });

    const tampered = JSON.parse(readFileSync(file, 'utf8'));
    tampered.payload.products[0].quantity = 2500;
    writeFileSync(join(dir, 'tampered.json'), JSON.stringify(tampered));
    const refused = await licenseToolHere('inspect', join(dir, 'tampered.json'), `--public-key=${publicKey}`);
    expect(refused.code).toBe(1);
    expect(refused.out).toContain('signature:   INVALID');

    await expect(
      licenseToolHere('issue', '--key', join(dir, 'license-signing-key.pem'), '--customer', 'X', '--redundancy', 'full', '--primary', installationId, '--product', 'terminal-connection:5@primary', '--expires', 'never'),
    ).rejects.toThrow(/the licence would be refused: installations-fit-redundancy.*full-needs-redundant-connections/);
    expect((await licenseToolHere('--help')).out).toContain('npm run license -- <command>');
  });

  it('the local system installs the demo licence on a pair, and the licence view shows usage on both servers', async () => {
    const secondary = await handler({ TANDEM_SERVER_ID: 'secondary', TANDEM_ROLE: 'secondary' });
    const peerToken = await createToken(apiClient(secondary.url, secondary.adminToken), 'peer');
    const primary = await handler({ TANDEM_PEER_URL: secondary.url, TANDEM_PEER_TOKEN: peerToken });
    const servers = [
      { url: primary.url, adminToken: primary.adminToken },
      { url: secondary.url, adminToken: secondary.adminToken },
    ];
    const first = await installDemoLicense(servers, { everywhere: true });
    expect(first.installed).toBe(true);
    expect(first.license).toMatchObject({ redundancy: 'full', products: [{ product: 'redundant-terminal-connection', quantity: DEMO_LICENSE_TERMINALS }] });

    const secondaryAdmin = apiClient(secondary.url, secondary.adminToken);
    const relay = apiClient(secondary.url, await createToken(secondaryAdmin, 'relay'));
    await secondaryAdmin.post('/api/v1/terminals', { mac: testMac(1), name: 't-1' });
    expect((await relay.get(`/api/v1/boot/terminals/${testMac(1)}`)).status).toBe(200);

    const view = (await apiClient(primary.url, primary.adminToken).get('/api/v1/license')).body;
    expect(view).toMatchObject({ mode: 'full', state: 'valid', licensePublicKey: { demo: true } });
    expect(view.servers).toEqual([
      expect.objectContaining({ role: 'primary', self: true, serverId: 'primary', licensed: DEMO_LICENSE_TERMINALS, leases: 0 }),
      expect.objectContaining({ role: 'secondary', self: false, serverId: 'secondary', licensed: DEMO_LICENSE_TERMINALS, leases: 1, reachable: true }),
    ]);
    expect((await installDemoLicense(servers)).installed).toBe(false);
  });
});
