import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../infra/local/processes';
import { nextServerOptions } from './dhcp-server';
import { holdHttpRequests } from './held-requests';
import { startQemuSite, type BootOptions, type BootOutcome, type QemuSite } from './site';

// Under TCG a boot takes 5–45 s; a machine that has not printed the firmware's line by then will not.
const BOOT_TIMEOUT_MS = 120_000;
const STEP_TIMEOUT_MS = 240_000;

/**
 * Real PXE firmware against the whole site, in network namespaces: SeaBIOS with the iPXE ROM, and
 * OVMF with its own UEFI PXE client (no iPXE ROM), each booting the firmware configured through the
 * API. Success is the firmware's line on the machine's serial console. The steps run in order on
 * one site, and nothing but the product itself fills the relays' caches between them.
 */
describe('real PXE firmware (QEMU) boots through the site', () => {
  let site: QemuSite;
  let failed = false;
  const report: Array<{ step: string; seconds: number; changeSeconds?: number; boots: BootOutcome[] }> = [];
  /** Runs a step's changes, then boots both machines; records the step's wall time and each boot. */
  const step = async (name: string, change: () => Promise<void>, options?: BootOptions): Promise<BootOutcome[]> => {
    const started = Date.now();
    try {
      await change();
      const changeSeconds = (Date.now() - started) / 1000;
      const boots = await site.boot(name, BOOT_TIMEOUT_MS, options);
      report.push({ step: name, seconds: (Date.now() - started) / 1000, changeSeconds, boots });
      return boots;
    } catch (error) {
      report.push({ step: `${name} (failed)`, seconds: (Date.now() - started) / 1000, boots: [] });
      throw error;
    }
  };

  beforeAll(async () => {
    if (process.getuid?.() !== 0) throw new Error('the QEMU tests need root: they make network namespaces, a bridge and tap devices');
    const started = Date.now();
    site = await startQemuSite();
    report.push({ step: 'site: namespaces, object store, handler pair, configuration', seconds: (Date.now() - started) / 1000, boots: [] });
  }, 180_000);
  afterEach((context) => {
    if (context.task.result?.state === 'fail') failed = true;
  });
  afterAll(async () => {
    await site?.stop({ keepLogs: failed || process.env.TANDEM_QEMU_KEEP_LOGS === '1' });
    console.log(
      ['step'.padEnd(70) + 'wall s (changes)  boots (firmware: s from power-on, relay)']
        .concat(report.map((r) => `${r.step.padEnd(70)}${r.seconds.toFixed(1).padStart(6)} ${(r.changeSeconds === undefined ? '' : `(${r.changeSeconds.toFixed(1)})`).padEnd(10)} ${r.boots.map((b) => `${b.firmware}: ${b.seconds.toFixed(1)} s ${b.relay ?? '?'}`).join(', ')}`))
        .join('\n'),
    );
  }, 120_000);

  it("boots when the site's DHCP server names relay A as next-server (proxyDHCP off)", async () => {
    const relay = site.relays.a;
    const boots = await step('next-server: DHCP names relay A', async () => {
      // Its own cache, dropped afterwards: the proxyDHCP steps start from relays that have served nothing.
      await relay.startBeforeLink({ RELAY_PROXYDHCP: 'off', RELAY_CACHE_DIR: join(site.logDir, 'relay-a-next-server') });
      await site.startDhcp(nextServerOptions(relay.station.address));
    });
    for (const boot of boots) expect(boot.relay, boot.line).toBe('relay-a');
    await relay.stop();
  }, STEP_TIMEOUT_MS);

  describe('with proxyDHCP on both relays, each started before its link is up, no RELAY_ADVERTISE_ADDRESS', () => {
    beforeAll(async () => {
      const started = Date.now();
      await site.startDhcp();
      await Promise.all([site.relays.a.startBeforeLink(), site.relays.b.startBeforeLink()]);
      // Each has run long enough to fill its cache from the handlers (its own doing; nothing here asks it for a terminal).
      await Promise.all([site.relays.a.waitForCache(site.machines.length), site.relays.b.waitForCache(site.machines.length)]);
      report.push({ step: 'proxyDHCP: address-only DHCP, both relays started before their links', seconds: (Date.now() - started) / 1000, boots: [] });
    }, 120_000);

    it('boots from relay B with relay A stopped', async () => {
      const boots = await step('relay A stopped', () => site.relays.a.stop());
      for (const boot of boots) expect(boot.relay, boot.line).toBe('relay-b');
    }, STEP_TIMEOUT_MS);

    it('boots through the secondary handler with the primary stopped (relay A still stopped)', async () => {
      const boots = await step('primary handler stopped (and relay A)', () => site.pair.a.handler.stop());
      for (const boot of boots) expect(boot.relay, boot.line).toBe('relay-b');
    }, STEP_TIMEOUT_MS);

    it("boots from relay A's last-known-good copies with both handlers stopped, though A never served these terminals", async () => {
      const boots = await step('both handlers stopped: relay A alone (restarted before its link), B stopped', async () => {
        await Promise.all([site.pair.b.handler.stop(), site.relays.b.stop()]);
        await site.relays.a.startBeforeLink();
      });
      for (const boot of boots) expect(boot.relay, boot.line).toBe('relay-a');
    }, STEP_TIMEOUT_MS);

    it('boots with everything back up (relay B restarted before its link)', async () => {
      const boots = await step('everything up again: both handlers, both relays', async () => {
        await Promise.all([site.pair.restart('a'), site.pair.restart('b'), site.relays.b.startBeforeLink()]);
      });
      for (const boot of boots) expect(['relay-a', 'relay-b'], boot.line).toContain(boot.relay);
    }, STEP_TIMEOUT_MS);

    it('boots the UEFI machine from relay B without a reboot when relay A stops after serving its script, before the firmware', async () => {
      const { a, b } = site.relays;
      const uefi = site.machines.find((m) => m.firmware === 'uefi')!;
      const answersOfB = () => b.process!.records().filter((r) => r.event === 'dhcp_pxe_answer' && r.mac === uefi.mac).length;
      // The firmware request reaches relay A's machine and is held there; then A stops.
      const held = await holdHttpRequests(a.station.ns, 8080, '/firmware/');
      // Files B served over HTTP (here: only firmware), before and after.
      const filesOfB = () => b.counter('relay_http_requests_total', ['route="file"', 'status="200"']);
      const filesBefore = await filesOfB();
      try {
        let answeredByB = 0;
        await step(
          'relay A stops between script and firmware (UEFI)',
          // Only relay A answers this terminal's DHCP; so the script that asks A for the firmware is A's.
          () => b.station.setCarrier(false),
          {
            only: 'uefi',
            during: async () => {
              await waitFor(async () => (await held.count()) > 0, () => 'the firmware request to reach relay A', BOOT_TIMEOUT_MS);
              await b.station.setCarrier(true);
              answeredByB = answersOfB();
              await a.stop();
            },
          },
        );
        // A stopped without answering the firmware request: the firmware the machine ran came from B.
        expect(await filesOfB(), 'firmware served by relay B').toBeGreaterThan(filesBefore);
        // A reboot would have started PXE again, and relay B, the only one left, would have answered it.
        expect(answersOfB(), 'relay B answering this machine over proxyDHCP after A stopped').toBe(answeredByB);
      } finally {
        await held.release();
      }
    }, STEP_TIMEOUT_MS);
  });
});
