import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HandlerState, relaysSee } from '../drills/site-state';
import { type DrillSite, startDrillSite } from '../drills/site';
import { apiClient, startHandler } from '../support/handler';
import { eventually, settled } from '../support/pair';
import { BootLoop } from './boot-loop';
import { hasNextReleaseSchema, nextReleaseMigrations, releaseSchemaVersion } from './next-release';

/**
 * The rolling upgrade of docs/production.md ("Upgrading without stopping the floor"), drilled on
 * a site of real processes: two handlers in full redundancy, two relays with proxyDHCP that name
 * each other (RELAY_PEERS), the local object store. Three emulated terminals boot in a loop the
 * whole time. Each handler in turn is stopped, upgraded — started again with the next release's
 * migration (a nullable column and a table), which it applies at start — and waits until the
 * relays use it; for a while the pair runs on two schema versions. Then each relay in turn is
 * stopped and started again. No boot may fail, and boots must happen in every step. The boots per
 * step are printed at the end, also when a step fails.
 */

/** Boots each step must see (about two per terminal), and while each machine is down. */
const BOOTS_PER_STEP = 6;
/** The terminals that boot in the loop: the licence grants each server three connections. */
const LOOPING_TERMINALS = 3;
/** Starting a handler or a relay under tsx on a busy 2-core machine. */
const START_TIMEOUT_MS = 120_000;

const STEP = {
  before: 'release 1 everywhere',
  handlerA: 'handler A stopped, upgraded, started',
  mixed: 'A on release 2, B on release 1',
  handlerB: 'handler B stopped, upgraded, started',
  handlersDone: 'both handlers on release 2',
  relayA: 'relay A stopped, started',
  relayB: 'relay B stopped, started',
  after: 'everything upgraded',
};

describe('rolling upgrade: migrations, then handlers one at a time, then relays one at a time', { timeout: 300_000 }, () => {
  let site: DrillSite;
  let loop: BootLoop;
  let nextRelease: string;
  const release1 = releaseSchemaVersion();
  const release2 = release1 + 1;

  beforeAll(async () => {
    nextRelease = nextReleaseMigrations();
    site = await startDrillSite('full', { relayPeers: true });
    loop = new BootLoop(site, site.macs.slice(0, LOOPING_TERMINALS));
    loop.enter(STEP.before);
    loop.start();
  }, 360_000);

  afterAll(async () => {
    await loop?.stop();
    if (loop) process.stdout.write(`\n${loop.table()}\n\n`);
    await site?.stop();
  }, 60_000);

  const health = async (which: 'a' | 'b') => (await (await fetch(`${site[which].handler.url}/healthz`)).json()) as { status: string; schemaVersion: number };
  const databaseFile = (which: 'a' | 'b') => join(site[which].handler.dataDir, `${site[which].handler.env.TANDEM_SERVER_ID}.db`);
  const only = (which: 'a' | 'b', state: HandlerState) => (which === 'a' ? { a: state } : { b: state });
  const terminalName = async (which: 'a' | 'b', mac: string) => (await site[which].admin.get(`/api/v1/terminals/${site.terminalIds.get(mac)}`)).body.name as string;

  /** The upgrade of one handler, as the operator does it: stop, new release (its migration applied at start), start, wait until the relays use it. */
  async function upgradeHandler(which: 'a' | 'b'): Promise<void> {
    const old = site[which].handler;
    const machine = `handler ${which}`;
    await old.stop();
    loop.mark(machine, 'down');
    await relaysSee(site, only(which, 'down'));
    // The other handler serves every boot meanwhile.
    const whileDown = await loop.bootsWhileDown(machine, BOOTS_PER_STEP);
    expect(whileDown.every((b) => b.ok)).toBe(true);
    const handler = await startHandler({ env: { ...old.env, TANDEM_EXTRA_MIGRATIONS_DIR: nextRelease }, dataDir: old.dataDir, port: old.port, readyTimeoutMs: START_TIMEOUT_MS });
    site[which] = { handler, admin: apiClient(handler.url, handler.adminToken) };
    await relaysSee(site, only(which, 'up'));
    loop.mark(machine, 'up');
    expect((await health(which)).schemaVersion).toBe(release2);
    expect(await hasNextReleaseSchema(databaseFile(which))).toBe(true);
  }

  /** A step: boots from now on count under `step`; it ends once they have seen `act` through and BOOTS_PER_STEP boots. */
  async function during(step: string, act: () => Promise<void>): Promise<void> {
    loop.enter(step);
    await act();
    await loop.bootsDuringStep(BOOTS_PER_STEP);
  }

  /** One relay stopped and started again; terminals boot from the other meanwhile. */
  async function restartRelay(index: number): Promise<void> {
    const relay = site.relays[index];
    const other = site.relays[1 - index];
    await relay.stop();
    loop.mark(relay.id, 'down');
    const whileDown = await loop.bootsWhileDown(relay.id, BOOTS_PER_STEP);
    expect(whileDown.map((b) => b.relay)).toEqual(whileDown.map(() => other.id));
    // Started again, it answers only once its cache is filled (/healthz 200).
    await relay.restart();
    loop.mark(relay.id, 'up');
    await relaysSee(site, { a: 'up', b: 'up' }, [relay]);
  }

  it('boots through the relays on release 1', async () => {
    expect((await health('a')).schemaVersion).toBe(release1);
    expect((await health('b')).schemaVersion).toBe(release1);
    await loop.bootsDuringStep(BOOTS_PER_STEP);
  });

  it('upgrades handler A while handler B serves the boots', () => during(STEP.handlerA, () => upgradeHandler('a')));

  it('keeps serving boots from both handlers on different schema versions; changes wait for the same release', async () => {
    await during(STEP.mixed, async () => {
      expect([(await health('a')).schemaVersion, (await health('b')).schemaVersion]).toEqual([release2, release1]);
      // Each handler answers a relay for a terminal, whatever its peer runs.
      for (const which of ['a', 'b'] as const) {
        const res = await fetch(`${site[which].handler.url}/api/v1/boot/terminals/${site.macs[0]}`, {
          headers: { authorization: `Bearer ${site.relayTokens['relay-a']}`, 'x-tandem-relay': 'relay-a' },
        });
        expect(res.status, `handler ${which} serves a boot`).toBe(200);
      }
      // An admin changes a terminal on each server: full redundancy takes changes on either.
      const [onA, onB] = [site.macs[7], site.macs[6]];
      const since = new Date().toISOString();
      expect((await site.a.admin.patch(`/api/v1/terminals/${site.terminalIds.get(onA)}`, { name: 'press-8 changed on A' })).status).toBe(200);
      expect((await site.b.admin.patch(`/api/v1/terminals/${site.terminalIds.get(onB)}`, { name: 'press-7 changed on B' })).status).toBe(200);
      // Each pulls from the other, is refused for the schema versions, and says so; nothing crosses.
      for (const which of ['a', 'b'] as const)
        await eventually(
          site[which].admin,
          '/api/v1/sync/status',
          (res) => res.body?.lastError?.code === 'schema_mismatch' && res.body.lastAttempt > since,
          `handler ${which} to report the schema versions`,
        );
      expect(await terminalName('b', onA)).not.toBe('press-8 changed on A');
      expect(await terminalName('a', onB)).not.toBe('press-7 changed on B');
    });
    expect(loop.bootsIn(STEP.mixed).filter((b) => b.outcome === 'live').length, 'boots served live by a handler').toBeGreaterThan(0);
  });

  it('upgrades handler B while handler A serves the boots', () => during(STEP.handlerB, () => upgradeHandler('b')));

  it('converges once both handlers run release 2', () =>
    during(STEP.handlersDone, async () => {
      await settled(site, 60_000);
      for (const which of ['a', 'b'] as const) {
        expect(await terminalName(which, site.macs[7])).toBe('press-8 changed on A');
        expect(await terminalName(which, site.macs[6])).toBe('press-7 changed on B');
        const status = (await site[which].admin.get('/api/v1/sync/status')).body;
        expect(status).toMatchObject({ lastError: null, openConflicts: 0, failedChanges: 0 });
      }
    }));

  it('restarts relay A while relay B serves the boots', () => during(STEP.relayA, () => restartRelay(0)));

  it('restarts relay B while relay A serves the boots', () => during(STEP.relayB, () => restartRelay(1)));

  it('had no failed boot, and boots in every step', async () => {
    await during(STEP.after, async () => {});
    await loop.stop();
    for (const step of Object.values(STEP)) expect(loop.bootsIn(step).length, `boots during "${step}"`).toBeGreaterThanOrEqual(BOOTS_PER_STEP);
    expect(loop.failures()).toEqual([]);
  });
});
