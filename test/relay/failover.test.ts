import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './support/files';
import { startTestRelay, type TestRelay } from './support/relay-process';
import { type HandlerPair, seedTerminals, startHandlerPair } from './support/site';

const run = promisify(execFile);
const macs = ['aa:bb:cc:00:10:01', 'aa:bb:cc:00:10:02', 'aa:bb:cc:00:10:03', 'aa:bb:cc:00:10:04'];

describe('configuration from the nearest healthy handler, with failover and a last-known-good cache', { timeout: 120_000 }, () => {
  let site: HandlerPair;
  let relay: TestRelay;

  beforeAll(async () => {
    site = await startHandlerPair(async (admin) => {
      await seedTerminals(admin, macs);
    });
    relay = await startTestRelay({
      RELAY_HANDLERS: `${site.a.url},${site.b.url}`,
      RELAY_TOKEN: site.relayToken,
      RELAY_BOOT_DIR: tempDir('relay-boot'),
      RELAY_PROBE_INTERVAL_MS: '200',
      RELAY_UPSTREAM_TIMEOUT_MS: '2000',
    });
  }, 120_000);

  afterAll(async () => {
    await relay?.stop();
    await site?.stop();
  });

  const getConfig = (mac: string) => fetch(`${relay.http}/config/${mac}`, { signal: AbortSignal.timeout(10_000) });

  it('serves a terminal its configuration from a handler, with a strong ETag', async () => {
    const res = await getConfig('AA-BB-CC-00-10-01');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-tandem-config-source')).toBe('live');
    const doc = await res.json();
    expect(doc).toMatchObject({ mac: 'aa:bb:cc:00:10:01', name: 'terminal-1', groupPath: ['plant'] });
    expect(res.headers.get('etag')).toBe(`"${doc.configVersion}"`);
    const again = await fetch(`${relay.http}/config/aa:bb:cc:00:10:01`, { headers: { 'if-none-match': res.headers.get('etag')! } });
    expect(again.status).toBe(304);
  });

  it('serves the same document over TFTP as config/{mac}.json', async () => {
    const { stdout } = await run('curl', ['-sS', '--max-time', '20', `tftp://127.0.0.1:${relay.tftpPort}/config/aa:bb:cc:00:10:02.json`]);
    expect(JSON.parse(stdout)).toMatchObject({ mac: 'aa:bb:cc:00:10:02', name: 'terminal-2' });
  });

  it('answers an unknown terminal with a problem document', async () => {
    const res = await getConfig('aa:bb:cc:00:99:99');
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(await res.json()).toMatchObject({ code: 'unknown_terminal', status: 404 });
    const bad = await getConfig('not-a-mac');
    expect(bad.status).toBe(400);
  });

  it('reports boots to the handler (check-ins)', async () => {
    let items: Array<{ mac: string; relayId: string; source: string }> = [];
    for (let i = 0; i < 50; i++) {
      items = [...(await site.adminA.get('/api/v1/terminal-status')).body.items, ...(await site.adminB.get('/api/v1/terminal-status')).body.items];
      if (items.some((s) => s.mac === 'aa:bb:cc:00:10:01')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(items).toContainEqual(expect.objectContaining({ mac: 'aa:bb:cc:00:10:01', relayId: 'relay-test', source: 'live' }));
  });

  it('keeps every fetch working when the handler in use is killed with -9', async () => {
    // Warm the cache of every terminal and learn which handler the relay prefers.
    for (const mac of macs) expect((await getConfig(mac)).status).toBe(200);
    const results: Array<{ status: number; source: string | null; handler: string | null }> = [];
    let killed: string | null = null;
    const deadline = Date.now() + 60_000;
    for (let i = 0; i < 400 && Date.now() < deadline; i++) {
      const res = await getConfig(macs[i % macs.length]);
      await res.arrayBuffer();
      results.push({ status: res.status, source: res.headers.get('x-tandem-config-source'), handler: res.headers.get('x-tandem-handler') });
      if (i === 50) {
        killed = res.headers.get('x-tandem-handler');
        await (killed === site.a.url ? site.a : site.b).kill();
      }
    }
    expect(killed).not.toBeNull();
    expect(results.length).toBe(400);
    expect(results.filter((r) => r.status !== 200)).toEqual([]);
    // After the kill every answer is live, from the surviving handler.
    const after = results.slice(51);
    expect(after.every((r) => r.source === 'live' && r.handler !== killed)).toBe(true);
    const health = await (await fetch(`${relay.http}/healthz`)).json();
    expect(health.handlers.find((h: { url: string }) => h.url === killed).healthy).toBe(false);
  });

  it('serves cached configurations, and says so, when both handlers are down', async () => {
    await site.a.kill().catch(() => {});
    await site.b.kill().catch(() => {});
    for (const mac of macs) {
      const res = await getConfig(mac);
      expect(res.status).toBe(200);
      expect(res.headers.get('x-tandem-config-source')).toBe('cache');
      expect((await res.json()).mac).toBe(mac);
    }
    const { stdout } = await run('curl', ['-sS', '--max-time', '20', `tftp://127.0.0.1:${relay.tftpPort}/config/aa:bb:cc:00:10:03.json`]);
    expect(JSON.parse(stdout).mac).toBe('aa:bb:cc:00:10:03');
    expect(await relay.metric('relay_config_requests_total', 'outcome="cache"')).toBeGreaterThanOrEqual(5);
    expect(relay.process.records().some((r) => r.event === 'config_served_from_cache')).toBe(true);
  });

  it('gives a terminal with nothing cached a clear error while no handler answers', async () => {
    const res = await getConfig('aa:bb:cc:00:10:77');
    expect(res.status).toBe(503);
    const problem = await res.json();
    expect(problem).toMatchObject({ code: 'no_configuration', status: 503 });
    expect(problem.detail).toContain('aa:bb:cc:00:10:77');
  });

  it('goes back to live configurations when a handler returns', async () => {
    site.a = await site.a.restart();
    let source: string | null = null;
    for (let i = 0; i < 100 && source !== 'live'; i++) {
      const res = await getConfig(macs[0]);
      source = res.headers.get('x-tandem-config-source');
      if (source !== 'live') await new Promise((r) => setTimeout(r, 100));
    }
    expect(source).toBe('live');
  });
});
