import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/ports';
import { tempDir } from './support/files';
import { startNode } from './support/processes';
import { startTestRelay, type TestRelay } from './support/relay-process';

const METRICS_TOKEN = 'mT7q2VxL9pR4wZ8kB3nF6hJ1sD5gC0aE';

describe('/metrics behind a token', { timeout: 60_000 }, () => {
  let guarded: TestRelay;
  let open: TestRelay;

  beforeAll(async () => {
    [guarded, open] = await Promise.all([startTestRelay({ RELAY_METRICS_TOKEN: METRICS_TOKEN }), startTestRelay({})]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([guarded?.stop(), open?.stop()]);
  });

  const metrics = (relay: TestRelay, authorization?: string) => fetch(`${relay.http}/metrics`, { headers: authorization ? { authorization } : {} });

  it('answers 401 without the token or with another, 200 with it', async () => {
    const without = await metrics(guarded);
    expect(without.status).toBe(401);
    expect(without.headers.get('www-authenticate')).toBe('Bearer realm="relay metrics"');
    expect((await without.json()).code).toBe('unauthorized');
    expect((await metrics(guarded, `Bearer ${METRICS_TOKEN.slice(1)}x`)).status).toBe(401);
    expect((await metrics(guarded, METRICS_TOKEN)).status).toBe(401);
    const withToken = await metrics(guarded, `Bearer ${METRICS_TOKEN}`);
    expect(withToken.status).toBe(200);
    expect(await withToken.text()).toContain('relay_http_requests_total');
    // Health stays open: it is what load balancers and the other relay probe.
    expect((await fetch(`${guarded.http}/healthz`)).status).toBe(200);
  });

  it('stays open when no token is set', async () => {
    expect((await metrics(open)).status).toBe(200);
  });
});

describe('object store credentials', { timeout: 60_000 }, () => {
  it('refuses to start against another object store without its own credentials', async () => {
    // Refused while reading the settings: nothing is ever sent to the address.
    const relay = startNode('relay/main.ts', {
      RELAY_ID: 'relay-test',
      RELAY_HOST: '127.0.0.1',
      RELAY_WORKERS: '1',
      RELAY_HANDLERS: 'http://127.0.0.1:9',
      RELAY_CACHE_DIR: tempDir('relay-cache'),
      RELAY_TFTP_PORT: String(await freePort('udp')),
      RELAY_HTTP_PORT: String(await freePort()),
      S3_ENDPOINT: 'http://10.255.255.1:9000',
      S3_ACCESS_KEY_ID: '',
      S3_SECRET_ACCESS_KEY: '',
    });
    const code = await Promise.race([relay.exited, new Promise<'running'>((r) => setTimeout(() => r('running'), 20_000))]);
    await relay.stop();
    expect(code).toBe(2);
    expect(relay.lines.join('\n')).toContain(
      'relay: S3_ENDPOINT http://10.255.255.1:9000 is not the local object store: set S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY',
    );
  });
});
