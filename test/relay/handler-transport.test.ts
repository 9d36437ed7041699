import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './support/files';
import { startTestRelay, type TestRelay } from './support/relay-process';
import { type StandInHandler, startStandInHandler } from './support/stand-in-handler';

const MAC = 'aa:bb:cc:00:64:01';

interface Health {
  warnings?: string[];
  handlers: Array<{ url: string; healthy: boolean; lastError: string | null }>;
}
const health = async (relay: TestRelay) => (await (await fetch(`${relay.http}/healthz`)).json()) as Health;

/** Polls the relay's /healthz (five seconds at most) until check holds, and returns the last answer. */
async function healthWhen(relay: TestRelay, check: (h: Health) => boolean): Promise<Health> {
  let last = await health(relay);
  for (let i = 0; i < 50 && !check(last); i++) {
    await new Promise((r) => setTimeout(r, 100));
    last = await health(relay);
  }
  return last;
}

describe('how a relay reaches its handlers', { timeout: 90_000 }, () => {
  let caFile: string;
  let handler: StandInHandler;
  let withoutCa: TestRelay;
  let withCa: TestRelay;
  let plainRemote: TestRelay;

  beforeAll(async () => {
    // A handler with a certificate of the plant's own making, which no system CA signed.
    const dir = tempDir('relay-tls');
    caFile = join(dir, 'plant-ca.pem');
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=tandem-test-handler', '-addext', 'subjectAltName=IP:127.0.0.1',
      '-keyout', join(dir, 'key.pem'), '-out', caFile,
    ], { stdio: 'ignore' });
    handler = await startStandInHandler({ key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(caFile, 'utf8') });
    [withoutCa, withCa, plainRemote] = await Promise.all([
      startTestRelay({ RELAY_HANDLERS: handler.url, RELAY_TOKEN: 'tdm_relay_test' }),
      startTestRelay({ RELAY_HANDLERS: handler.url, RELAY_TOKEN: 'tdm_relay_test', RELAY_CA_FILE: caFile }),
      // Configured only: port 9 is one fetch refuses to connect to, so nothing is ever sent there.
      startTestRelay({ RELAY_HANDLERS: 'http://10.255.255.1:9', RELAY_TOKEN: 'tdm_relay_test' }),
    ]);
  }, 90_000);

  afterAll(async () => {
    await Promise.all([withoutCa?.stop(), withCa?.stop(), plainRemote?.stop()]);
    await handler?.close();
  });

  it('refuses a handler certificate no trusted CA signed', async () => {
    const h = await healthWhen(withoutCa, (x) => x.handlers[0].lastError !== null);
    expect(h.handlers[0]).toMatchObject({ url: handler.url, healthy: false });
    expect(h.handlers[0].lastError).toMatch(/CERT/);
    const res = await fetch(`${withoutCa.http}/config/${MAC}`);
    expect(res.status).toBe(503);
  });

  it('trusts a plant CA given in RELAY_CA_FILE', async () => {
    const h = await healthWhen(withCa, (x) => x.handlers[0].healthy);
    expect(h.handlers[0]).toMatchObject({ url: handler.url, healthy: true, lastError: null });
    const res = await fetch(`${withCa.http}/config/${MAC}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-tandem-config-source')).toBe('live');
    expect(res.headers.get('x-tandem-handler')).toBe(handler.url);
    expect((await res.json()).mac).toBe(MAC);
    expect(h.warnings).toEqual([]);
  });

  it('says in /healthz and at start that its token would cross the network in clear text', async () => {
    const warnings = (await health(plainRemote)).warnings ?? [];
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('http://10.255.255.1:9');
    expect(warnings[0]).toContain('relay token');
    const logged = plainRemote.process.records().filter((r) => r.event === 'handler_transport_insecure');
    expect(logged).toEqual([expect.objectContaining({ level: 'warn', warning: warnings[0] })]);
  });
});
