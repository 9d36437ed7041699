import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import type { BootDocument } from '../../functions/domain/boot-document';
import { ConfigError } from '../../relay/boot/config-source';
import { createLogger } from '../../relay/observe/log';
import { Metrics } from '../../relay/observe/metrics';
import { ConfigCache } from '../../relay/upstream/config-cache';
import { HandlerConfigSource } from '../../relay/upstream/handler-config-source';
import { HandlerPool } from '../../relay/upstream/handler-pool';
import { tempDir } from './support/files';
import { documentFor } from './support/stand-in-handler';

/**
 * The upstream rules against small real HTTP servers that answer the way handlers can
 * (licence refusals, slowness, errors), which real handlers cannot be made to do on demand.
 */
const MAC = 'aa:bb:cc:00:40:01';
const doc = (name: string): BootDocument => documentFor(MAC, { terminalId: 't1', name, configVersion: `v-${name}` });

type Behaviour = (c: { req: { header(name: string): string | undefined } }) => Response | Promise<Response>;
const servers: ServerType[] = [];
const problem = (status: number, code: string) =>
  new Response(JSON.stringify({ type: 'about:blank', title: code, status, detail: `because ${code}`, code }), { status, headers: { 'content-type': 'application/problem+json' } });
const documentFrom = (name: string) => (c: { req: { header(name: string): string | undefined } }) =>
  c.req.header('if-none-match') === `"v-${name}"`
    ? new Response(null, { status: 304, headers: { etag: `"v-${name}"` } })
    : new Response(JSON.stringify(doc(name)), { headers: { etag: `"v-${name}"`, 'content-type': 'application/json' } });

async function standIn(behaviour: Behaviour, health: () => number = () => 200): Promise<string> {
  const app = new Hono();
  app.get('/healthz', (c) => c.json({ serverId: 'stand-in', role: 'primary', schemaVersion: 1, database: health() === 200 ? 'ok' : 'down' }, health() as 200));
  app.get('/api/v1/boot/terminals/:mac', (c) => behaviour(c));
  app.post('/api/v1/boot/checkins', (c) => c.body(null, 204));
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => resolve(`http://127.0.0.1:${info.port}`));
    servers.push(server);
  });
}

function source(urls: string[], requestTimeoutMs = 2000) {
  const log = createLogger({ test: true }, 'error', () => {});
  const metrics = new Metrics();
  const pool = new HandlerPool(urls, { probeIntervalMs: 60_000, requestTimeoutMs, downAfter: 2, upAfter: 2, refusalCooldownMs: 60_000 }, log, metrics);
  const cache = new ConfigCache(tempDir('relay-configs'));
  const configs = new HandlerConfigSource(pool, cache, { relayId: 'r1', token: 'tok', requestTimeoutMs }, log, metrics);
  return { pool, cache, configs, metrics };
}

afterEach(async () => {
  await Promise.all(
    servers.splice(0).map((s) => {
      const closing = new Promise((r) => s.close(r));
      (s as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      return closing;
    }),
  );
});

describe('HandlerConfigSource', () => {
  it('sends the relay token and id, and revalidates its cached copy with If-None-Match', async () => {
    const seen: Array<Record<string, string | undefined>> = [];
    const url = await standIn((c) => {
      seen.push({ auth: c.req.header('authorization'), relay: c.req.header('x-tandem-relay'), inm: c.req.header('if-none-match') });
      return documentFrom('a')(c);
    });
    const { configs } = source([url]);
    expect((await configs.getConfig(MAC)).document.name).toBe('a');
    const second = await configs.getConfig('AA-BB-CC-00-40-01');
    expect(second).toMatchObject({ source: 'live', etag: '"v-a"' });
    expect(seen).toEqual([
      { auth: 'Bearer tok', relay: 'r1', inm: undefined },
      { auth: 'Bearer tok', relay: 'r1', inm: '"v-a"' },
    ]);
  });

  it('prefers the faster handler once both are probed', async () => {
    const slow = await standIn(async (c) => {
      await new Promise((r) => setTimeout(r, 30));
      return documentFrom('slow')(c);
    }, () => 200);
    const fast = await standIn(documentFrom('fast'));
    const { pool, configs } = source([slow, fast]);
    // Feed the round-trip times the probes would measure.
    pool.succeeded(slow, 40);
    pool.succeeded(fast, 2);
    expect((await configs.getConfig(MAC)).handler).toBe(fast);
  });

  it('skips a handler that refuses boots (redundancy_not_licensed) and keeps skipping it', async () => {
    let refusals = 0;
    const refusing = await standIn(() => {
      refusals++;
      return problem(403, 'redundancy_not_licensed');
    });
    const good = await standIn(documentFrom('good'));
    const { pool, configs } = source([refusing, good]);
    pool.succeeded(refusing, 1);
    pool.succeeded(good, 50);
    expect((await configs.getConfig(MAC)).handler).toBe(good);
    expect((await configs.getConfig(MAC)).handler).toBe(good);
    expect(refusals).toBe(1);
    expect(pool.snapshot().find((h) => h.url === refusing)?.healthyForBoots).toBe(false);
  });

  it('retries the next handler within the same request on a timeout or a server error', async () => {
    const hanging = await standIn(() => new Promise<Response>(() => {}));
    const failing = await standIn(() => new Response('boom', { status: 500 }));
    const good = await standIn(documentFrom('good'));
    const { pool, configs } = source([hanging, failing, good], 300);
    pool.succeeded(hanging, 1);
    pool.succeeded(failing, 2);
    pool.succeeded(good, 3);
    const config = await configs.getConfig(MAC);
    expect(config).toMatchObject({ source: 'live', handler: good });
    expect(pool.snapshot().map((h) => h.failuresInRow)).toEqual([1, 1, 0]);
  });

  it('passes a licence refusal on to the terminal when every handler refuses, without serving the cache', async () => {
    let exhausted = false;
    const url = await standIn((c) => (exhausted ? problem(403, 'license_exhausted') : documentFrom('a')(c)));
    const { configs } = source([url]);
    await configs.getConfig(MAC);
    exhausted = true;
    await expect(configs.getConfig(MAC)).rejects.toMatchObject({ code: 'license_exhausted', status: 403 });
  });

  it('serves the last-known-good copy when handlers reject the relay token, and drops it for a terminal that was removed', async () => {
    let mode: 'ok' | 'auth' | 'gone' = 'ok';
    const url = await standIn((c) => (mode === 'ok' ? documentFrom('a')(c) : mode === 'auth' ? problem(401, 'unauthorized') : problem(404, 'unknown_terminal')));
    const { configs, cache } = source([url]);
    await configs.getConfig(MAC);
    mode = 'auth';
    expect(await configs.getConfig(MAC)).toMatchObject({ source: 'cache', document: { name: 'a' } });
    mode = 'gone';
    const error = await configs.getConfig(MAC).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ code: 'unknown_terminal', status: 404 });
    expect(await cache.read(MAC)).toBeNull();
  });

  it('asks a handler once for concurrent requests for the same terminal', async () => {
    let calls = 0;
    const url = await standIn(async (c) => {
      calls++;
      await new Promise((r) => setTimeout(r, 20));
      return documentFrom('a')(c);
    });
    const { configs } = source([url]);
    await Promise.all(Array.from({ length: 10 }, () => configs.getConfig(MAC)));
    expect(calls).toBe(1);
  });
});
