import { Agent, request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomFile, tempDir } from './support/files';
import { startTestRelay, type TestRelay } from './support/relay-process';
import { type StandInHandler, startStandInHandler } from './support/stand-in-handler';

const FLOODER = '127.0.0.2';
const TERMINAL = '127.0.0.3';
const BURST = 5;
const PER_MINUTE = 60;

interface Answer {
  status: number;
  retryAfter: string | undefined;
  body: string;
}

/** A GET sent from one loopback source address (keep-alive, as iPXE and curl do). */
function getFrom(agent: Agent, source: string, url: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, localAddress: source, signal: AbortSignal.timeout(10_000) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'], body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('/config and /boot.ipxe are rate limited per source address', { timeout: 60_000 }, () => {
  let handler: StandInHandler;
  let relay: TestRelay;
  const agent = new Agent({ keepAlive: true });

  beforeAll(async () => {
    handler = await startStandInHandler();
    const boot = tempDir('relay-rate');
    randomFile(boot, 'snponly.efi', 10_000);
    relay = await startTestRelay({
      RELAY_HANDLERS: handler.url,
      RELAY_BOOT_DIR: boot,
      RELAY_HTTP_CONFIG_BURST: String(BURST),
      RELAY_HTTP_CONFIG_PER_MINUTE: String(PER_MINUTE),
    });
  }, 60_000);

  afterAll(async () => {
    agent.destroy();
    await relay?.stop();
    await handler?.close();
  });

  it('answers a flood from one source with 429 and Retry-After, keeps serving another, and spares the handler', async () => {
    const started = performance.now();
    const flood: Answer[] = [];
    for (let i = 0; i < 120; i++) {
      const mac = `aa:bb:cc:00:62:${(i % 256).toString(16).padStart(2, '0')}`;
      flood.push(await getFrom(agent, FLOODER, `${relay.http}${i % 2 ? `/boot.ipxe?mac=${mac}` : `/config/${mac}`}`));
    }
    const elapsedMinutes = (performance.now() - started) / 60_000;

    const limited = flood.filter((a) => a.status === 429);
    const served = flood.filter((a) => a.status === 200);
    expect(served.length + limited.length).toBe(flood.length);
    // At most the burst and what the rate refilled while the flood lasted (the elapsed time only loosens the bound).
    const allowed = BURST + Math.floor(elapsedMinutes * PER_MINUTE) + 1;
    expect(served.length).toBeGreaterThanOrEqual(BURST);
    expect(served.length).toBeLessThanOrEqual(allowed);
    expect(handler.bootRequests).toBeLessThanOrEqual(allowed);
    for (const answer of limited) expect(Number(answer.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(limited.find((a) => a.body.startsWith('{'))).toMatchObject({ body: expect.stringContaining('"code":"rate_limited"') });
    expect(limited.find((a) => a.body.startsWith('#!ipxe'))?.body).toContain('try again in');

    // Another terminal boots as if nothing happened; the flooder still gets files.
    expect((await getFrom(agent, TERMINAL, `${relay.http}/boot.ipxe?mac=aa:bb:cc:00:63:01`)).status).toBe(200);
    expect((await getFrom(agent, TERMINAL, `${relay.http}/config/aa:bb:cc:00:63:01`)).status).toBe(200);
    expect((await getFrom(agent, FLOODER, `${relay.http}/snponly.efi`)).status).toBe(200);
    expect(await relay.metric('relay_http_requests_total', 'route="config",status="429"')).toBeGreaterThan(0);
  });
});
