import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './support/files';
import { startTestRelay, type TestRelay } from './support/relay-process';
import { type HandlerPair, seedTerminals, startHandlerPair } from './support/site';

const MAC = 'aa:bb:cc:00:50:01';

describe('a secondary without redundancy in its licence is not used for boots', { timeout: 120_000 }, () => {
  let site: HandlerPair;
  let relay: TestRelay;

  beforeAll(async () => {
    // Demo mode (no licence): a secondary answers boots with 403 redundancy_not_licensed.
    site = await startHandlerPair((admin) => seedTerminals(admin, [MAC]).then(() => {}), { envB: { TANDEM_ROLE: 'secondary' } });
    relay = await startTestRelay({
      // The secondary first: before any probe the relay tries handlers in the order given.
      RELAY_HANDLERS: `${site.b.url},${site.a.url}`,
      RELAY_TOKEN: site.relayToken,
      RELAY_BOOT_DIR: tempDir('relay-boot'),
      RELAY_PROBE_INTERVAL_MS: '60000',
    });
  }, 120_000);

  afterAll(async () => {
    await relay?.stop();
    await site?.stop();
  });

  it('never boots a terminal from the refusing secondary, not even when the primary is gone', async () => {
    const direct = await fetch(`${site.b.url}/api/v1/boot/terminals/${MAC}`, { headers: { authorization: `Bearer ${site.relayToken}` } });
    expect(direct.status).toBe(403);
    expect((await direct.json()).code).toBe('redundancy_not_licensed');

    // Whichever handler the relay asks first, the document comes from the primary.
    const live = await fetch(`${relay.http}/config/${MAC}`);
    expect(live.status).toBe(200);
    expect(live.headers.get('x-tandem-handler')).toBe(site.a.url);

    // With the primary gone the secondary is asked, refuses, and the relay falls back to its cache.
    await site.a.kill();
    const cached = await fetch(`${relay.http}/config/${MAC}`);
    expect(cached.status).toBe(200);
    expect(cached.headers.get('x-tandem-config-source')).toBe('cache');
    const health = await (await fetch(`${relay.http}/healthz`)).json();
    expect(health.handlers).toContainEqual(expect.objectContaining({ url: site.b.url, healthy: false, refusesBoots: 'redundancy_not_licensed' }));

    // Then it is left alone for the cool-down instead of being asked on every boot.
    expect((await fetch(`${relay.http}/config/${MAC}`)).headers.get('x-tandem-config-source')).toBe('cache');
    expect(await relay.metric('relay_upstream_errors_total', `handler="${site.b.url}",reason="redundancy_not_licensed"`)).toBe(1);
  });
});
