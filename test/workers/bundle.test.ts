import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Miniflare } from 'miniflare';
import { unstable_readConfig } from 'wrangler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embeddedMigrations } from '../../db/embedded-migrations';
import { bootDocumentSchema } from '../../functions/domain/boot-document';
import { startHranaServer, type HranaServer } from '../support/hrana-server';
import { signedIn, type Send } from '../support/dashboard-client';
import { jsonClient } from '../support/json-client';
import { licensePayload, testVendor, type TestVendor } from '../support/licensing';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'tandem-worker-'));
const adminToken = `tdm_worker_bootstrap_admin_${randomUUID()}`;
let database: HranaServer | undefined;
let mf: Miniflare | undefined;
let unconfigured: Miniflare | undefined;
let scriptPath: string;
let outdir: string;
let vendor: TestVendor;

/** The bundle that `wrangler deploy --env primary` would upload, run by workerd. */
beforeAll(async () => {
  outdir = join(dir, 'bundle');
  await run(join(root, 'node_modules', '.bin', 'wrangler'), ['deploy', '--dry-run', '--outdir', outdir, '--env', 'primary'], {
    cwd: root,
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', CI: '1' },
  });
  scriptPath = join(outdir, 'worker.js');
  const config = unstable_readConfig({ config: join(root, 'wrangler.toml'), env: 'primary' });

  database = await startHranaServer({ file: join(dir, 'primary.db'), authToken: 'db-secret' });
  vendor = await testVendor();
  mf = new Miniflare({
    scriptPath,
    modules: true,
    modulesRoot: outdir,
    compatibilityDate: config.compatibility_date,
    compatibilityFlags: config.compatibility_flags,
    bindings: {
      ...(config.vars as Record<string, string>),
      DATABASE_URL: database.url,
      DATABASE_AUTH_TOKEN: 'db-secret',
      TANDEM_ADMIN_TOKEN: adminToken,
      TANDEM_LICENSE_PUBLIC_KEY: vendor.publicKey,
    },
  });
  await mf.ready;
});

afterAll(async () => {
  await mf?.dispose();
  await unconfigured?.dispose();
  await database?.close();
  rmSync(dir, { recursive: true, force: true });
});

const request = jsonClient((path, init) => mf!.dispatchFetch(`http://handler.test${path}`, init));
const call = (method: string, path: string, token?: string, body?: unknown) => request(method, path, { token, body });

describe('the Workers bundle in workerd', () => {
  it('is a single module of reasonable size', () => {
    const size = statSync(scriptPath).size;
    expect(size).toBeGreaterThan(100_000);
    expect(size).toBeLessThan(3_000_000);
  });

  it('answers /healthz with the primary environment of wrangler.toml and a migrated database', async () => {
    const res = await call('GET', '/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      status: 'ok',
      serverId: 'primary',
      role: 'primary',
      schemaVersion: embeddedMigrations.length,
      databaseSchemaVersion: embeddedMigrations.length,
      database: 'ok',
      license: expect.objectContaining({ mode: 'demo', servesTerminals: true }),
      warnings: [],
    });
  });

  it('serves a terminal created through the admin API to a relay, from the libSQL database', async () => {
    const relay = await call('POST', '/api/v1/tokens', adminToken, { role: 'relay', name: 'relay-a' });
    expect(relay.status).toBe(201);
    const server = await call('POST', '/api/v1/terminal-servers', adminToken, { name: 'rds-a', host: '10.1.0.11', port: 3389 });
    const client = await call('POST', '/api/v1/display-clients', adminToken, {
      name: 'line-hmi',
      type: 'rdp',
      settings: { domain: 'PLANT' },
      terminalServerIds: [server.body.id],
      failoverMode: 'failover',
    });
    const group = await call('POST', '/api/v1/groups', adminToken, { name: 'plant', displayClientIds: [client.body.id], videoResolution: '1920x1080' });
    const terminal = await call('POST', '/api/v1/terminals', adminToken, { mac: 'AA-BB-CC-00-00-01', name: 'press-1', groupId: group.body.id });
    expect(terminal.status).toBe(201);

    const res = await call('GET', '/api/v1/boot/terminals/aabbcc000001', relay.body.token);
    expect(res.status).toBe(200);
    const doc = bootDocumentSchema.parse(res.body);
    expect(doc.mac).toBe('aa:bb:cc:00:00:01');
    expect(doc.videoResolution).toBe('1920x1080');
    expect(doc.displayClients[0]?.terminalServers.map((s) => [s.host, s.port])).toEqual([['10.1.0.11', 3389]]);
    expect(res.headers.get('etag')).toBe(`"${doc.configVersion}"`);
  });

  it('lets concurrent writes through the interactive transactions of the HTTP client', async () => {
    const created = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        call('POST', '/api/v1/terminals', adminToken, { mac: `aa:bb:cc:00:01:${i.toString(16).padStart(2, '0')}`, name: `bench-${i}` }),
      ),
    );
    expect(created.map((r) => r.status)).toEqual(Array(10).fill(201));
    const list = await call('GET', '/api/v1/terminals?limit=100', adminToken);
    expect(list.body.items.filter((t: { name: string }) => t.name.startsWith('bench-'))).toHaveLength(10);
  });

  it("serves the relays' feed of boot documents from the libSQL database: every one, then what changed", async () => {
    const relay = (await call('POST', '/api/v1/tokens', adminToken, { role: 'relay', name: 'relay-feed' })).body.token;
    const macs: string[] = [];
    let page = (await call('GET', '/api/v1/boot/documents?limit=4', relay)).body;
    expect(page.reset).toBe(true);
    for (let i = 0; i < 10; i++) {
      macs.push(...page.documents.map((d: { mac: string }) => d.mac));
      if (!page.more) break;
      page = (await call('GET', `/api/v1/boot/documents?limit=4&after=${encodeURIComponent(page.cursor)}`, relay)).body;
    }
    expect(macs.length).toBe(11);
    const quiet = (await call('GET', `/api/v1/boot/documents?after=${encodeURIComponent(page.cursor)}`, relay)).body;
    expect(quiet).toEqual({ cursor: page.cursor, reset: false, more: false, removed: [], documents: [] });
    const terminal = (await call('GET', '/api/v1/terminals?limit=100', adminToken)).body.items.find((t: { name: string }) => t.name === 'bench-3');
    expect((await call('PATCH', `/api/v1/terminals/${terminal.id}`, adminToken, { videoResolution: '1024x768' })).status).toBe(200);
    const changed = (await call('GET', `/api/v1/boot/documents?after=${encodeURIComponent(page.cursor)}`, relay)).body;
    expect(changed.documents.map((d: { mac: string; videoResolution: string }) => [d.mac, d.videoResolution])).toEqual([['aa:bb:cc:00:01:03', '1024x768']]);
  });

  it('checks licences and counts leases in the database (no lease view in a stateless isolate)', async () => {
    const { installationId } = (await call('GET', '/api/v1/server', adminToken)).body;
    const file = await vendor.sign(licensePayload(installationId, { products: [{ product: 'terminal-connection', quantity: 3, appliesTo: 'primary' }] }));
    const forged = structuredClone(file);
    forged.payload.products[0].quantity = 3000;
    expect((await call('PUT', '/api/v1/license', adminToken, forged)).body.code).toBe('license_signature_invalid');
    expect((await call('PUT', '/api/v1/license', adminToken, file)).status).toBe(200);

    const relay = (await call('POST', '/api/v1/tokens', adminToken, { role: 'relay', name: 'relay-licensed' })).body.token;
    // aa:bb:cc:00:00:01 took a lease when it booted above; two more fit, the fourth terminal does not.
    expect((await call('GET', '/api/v1/boot/terminals/aa:bb:cc:00:01:00', relay)).status).toBe(200);
    expect((await call('GET', '/api/v1/boot/terminals/aa:bb:cc:00:01:01', relay)).status).toBe(200);
    expect((await call('GET', '/api/v1/boot/terminals/aa:bb:cc:00:01:02', relay)).body).toMatchObject({ code: 'license_exhausted', count: 3 });
    expect((await call('GET', '/api/v1/boot/terminals/aabbcc000001', relay)).status).toBe(200);
    expect((await call('GET', '/api/v1/leases', adminToken)).body.total).toBe(3);
  });

  it('refuses the boot API without a token', async () => {
    const res = await call('GET', '/api/v1/boot/terminals/aabbcc000001');
    expect(res.status).toBe(401);
    expect(res.body.code).toBeTypeOf('string');
  });

  it('explains a missing DATABASE_URL with a problem document', async () => {
    const config = unstable_readConfig({ config: join(root, 'wrangler.toml'), env: 'primary' });
    unconfigured = new Miniflare({
      scriptPath,
      modules: true,
      modulesRoot: outdir,
      compatibilityDate: config.compatibility_date,
      compatibilityFlags: config.compatibility_flags,
      bindings: config.vars as Record<string, string>,
    });
    const res = await unconfigured.dispatchFetch('http://handler.test/healthz');
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(await res.json()).toMatchObject({ code: 'database_not_configured', status: 503 });
  });

  it('has a scheduled handler for the cron trigger', async () => {
    const worker = await mf!.getWorker();
    const result = await worker.scheduled({ cron: '* * * * *' });
    expect(result.outcome).toBe('ok');
  });
});

describe('the dashboard in workerd', () => {
  it('signs in with an API token and renders the overview and the terminals from the libSQL database', async () => {
    // workerd's answers are fetch Responses (Miniflare's own class): the same reading works.
    const send: Send = (path, init) => mf!.dispatchFetch(`http://handler.test${path}`, init) as unknown as Promise<Response>;
    const session = await signedIn(send, adminToken);
    expect(session.cookie).toMatch(/^tandem_session=tdm_/);
    const overview = await session.get('/dashboard');
    expect(overview.status).toBe(200);
    const html = await overview.text();
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toContain('<h1>Overview</h1>');
    expect(html).toContain('signed in as <strong>bootstrap-admin</strong> (admin)');
    expect(overview.headers.get('content-security-policy')).toContain("script-src 'self'");
    const terminals = await (await session.get('/dashboard/terminals?q=press-1')).text();
    expect(terminals).toContain('press-1');
    // A form post through the one write path, and its refusal without the CSRF token.
    expect((await session.post('/dashboard/groups', { name: 'from-the-dashboard' }, { csrf: false })).status).toBe(403);
    const created = await session.post('/dashboard/groups', { name: 'from-the-dashboard' });
    expect(created.status).toBe(303);
    expect((await call('GET', '/api/v1/groups?limit=100', adminToken)).body.items.map((g: { name: string }) => g.name)).toContain('from-the-dashboard');
    const script = await session.get('/dashboard/assets/dashboard.js');
    expect(script.headers.get('content-type')).toMatch(/javascript/);
  });
});

describe('wrangler.toml', () => {
  const secrets = ['DATABASE_URL', 'DATABASE_AUTH_TOKEN', 'TANDEM_ADMIN_TOKEN', 'TANDEM_PEER_TOKEN'];
  for (const env of ['primary', 'secondary'] as const) {
    it(`gives the ${env} environment its identity, a cron trigger, and no secrets`, () => {
      const config = unstable_readConfig({ config: join(root, 'wrangler.toml'), env });
      expect(config.name).toBe(`tandem-handler-${env}`);
      expect(config.vars).toEqual({ TANDEM_SERVER_ID: env, TANDEM_ROLE: env });
      expect(Object.keys(config.vars).filter((name) => secrets.includes(name))).toEqual([]);
      expect(config.triggers.crons?.length).toBeGreaterThan(0);
      expect(config.compatibility_flags).toContain('nodejs_compat');
      // The newest date this workerd accepts.
      expect(config.compatibility_date! <= '2026-05-03').toBe(true);
    });
  }
});
