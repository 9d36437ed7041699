import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { apiClient, startHandler, type HandlerProcess } from '../support/handler';

describe('operating a handler', () => {
  const started: HandlerProcess[] = [];
  afterAll(async () => {
    for (const h of started) await h.stop();
  });

  it('creates an admin token on an empty database and saves it 0600, not in the log', async () => {
    const first = await startHandler({ env: { TANDEM_ADMIN_TOKEN: '', TANDEM_SERVER_ID: 'fresh' } });
    started.push(first);
    const file = join(first.dataDir, 'fresh-admin-token');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const token = readFileSync(file, 'utf8').trim();
    expect(token).toMatch(/^tdm_[A-Za-z0-9_-]{40,}$/);
    // The log names the file, never the token (log collectors copy and keep logs).
    expect(first.output()).not.toContain(token);
    expect(first.output()).toContain(file);
    // The token works, and only its hash is in the database.
    expect((await apiClient(first.url, token).get('/api/v1/tokens')).status).toBe(200);
    expect(readFileSync(join(first.dataDir, 'fresh.db')).includes(Buffer.from(token))).toBe(false);

    await first.stop();
    const again = await startHandler({ env: { TANDEM_ADMIN_TOKEN: '', TANDEM_SERVER_ID: 'fresh' }, dataDir: first.dataDir });
    started.push(again);
    expect(again.output()).not.toContain(token);
    expect(again.output()).not.toContain('bootstrap admin token');
    expect((await apiClient(again.url, token).get('/api/v1/tokens')).status).toBe(200);
  });

  it('reports server id, role, schema version and database in /healthz', async () => {
    const h = await startHandler({ env: { TANDEM_SERVER_ID: 'site-b', TANDEM_ROLE: 'secondary' } });
    started.push(h);
    const res = await fetch(`${h.url}/healthz`);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ serverId: 'site-b', role: 'secondary', database: 'ok' });
    expect(body.schemaVersion).toBeGreaterThanOrEqual(1);
  });

  it('counts requests per route with latency histograms in /metrics', async () => {
    const h = await startHandler();
    started.push(h);
    const admin = apiClient(h.url, h.adminToken);
    for (let i = 0; i < 3; i++) await admin.get('/api/v1/terminals');
    await admin.get('/api/v1/terminals/nope');
    expect((await fetch(`${h.url}/metrics`)).status).toBe(401);
    const text = (await admin.get('/metrics')).body as string;
    expect(text).toContain('tandem_http_requests_total{method="GET",route="/api/v1/terminals",status="200"} 3');
    expect(text).toContain('tandem_http_requests_total{method="GET",route="/api/v1/terminals/:id",status="404"} 1');
    expect(text).toMatch(/tandem_http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/terminals"\} 3/);
  });

  it('registers a token made on the other server of a pair, and refuses a weak one', async () => {
    const a = await startHandler();
    started.push(a);
    const admin = apiClient(a.url, a.adminToken);
    const shared = 'tdm_' + 'Q'.repeat(10) + Math.random().toString(36).slice(2).padEnd(34, 'x');
    const res = await admin.post('/api/v1/tokens', { role: 'relay', name: 'relay-pair', token: shared });
    expect(res.status).toBe(201);
    expect((await apiClient(a.url, shared).get('/api/v1/boot/terminals/aa:bb:cc:00:00:01')).body.code).toBe('unknown_terminal');
    const weak = await admin.post('/api/v1/tokens', { role: 'admin', name: 'weak', token: 'tdm_password' });
    expect(weak.status).toBe(400);
    expect(weak.body.field).toBe('token');
    expect((await apiClient(a.url, 'tdm_password').get('/api/v1/tokens')).status).toBe(401);
  });

  it('refuses to start with a clear message on a bad setting', async () => {
    await expect(startHandler({ env: { TANDEM_ROLE: 'tertiary' } })).rejects.toThrow(/TANDEM_ROLE must be .*primary.*secondary.*tertiary/);
  });

  it('logs one JSON object a line', async () => {
    const h = started[started.length - 1];
    const lines = h.output().split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
  });
});
