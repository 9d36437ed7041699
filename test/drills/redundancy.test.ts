import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRILLS } from './drills';
import { DESIGN_ROW_DRILLS, designRedundancyTable, EXPECTED, FAILURES, type FailureId, MODES, type Observation, renderMatrix } from './matrix';
import { type DrillSite, type Mode, startDrillSite } from './site';
import { bringTo } from './site-state';
import { DrillTerminal } from './terminal';

/**
 * Redundancy drills: for each mode, one site of real processes on loopback, and every failure
 * of the matrix in turn (each drill says which handlers it needs up or down; bringTo gets the
 * site there). The matrix of expected and observed outcomes is printed at the end, also when a
 * drill fails. One mode alone: DRILL_MODES=full npm run test:drills.
 */

/**
 * The order drills run in on one site, chosen so that few processes restart: the session is
 * still on the first terminal server of its list for the first; the primary, killed under the
 * running terminal, stays down for the next two (the second brings it back); the relay A drill
 * asks both servers to serve the terminal before the licence drill uses the licence up; both
 * handlers go down last.
 */
const ORDER: FailureId[] = [
  'terminal-server-dies',
  'primary-down-running',
  'primary-down-reboot',
  'change-primary-down',
  'partition',
  'relay-a-down-reboot',
  'licence-exceeded',
  'both-down-reboot',
];

/** The modes to drill: all, or those DRILL_MODES names (comma-separated). */
const modes = MODES.filter((m) => !process.env.DRILL_MODES || process.env.DRILL_MODES.split(',').includes(m));

/**
 * A site starts while the drills of the mode before it run (start-up is most of the wait, and
 * starting all at once would pile a dozen processes onto two cores).
 */
const sites = new Map<Mode, Promise<DrillSite>>();
const siteOf = (mode: Mode) => {
  if (!sites.has(mode)) {
    const starting = startDrillSite(mode);
    starting.catch(() => {}); // awaited, and reported, by the mode's own beforeAll
    sites.set(mode, starting);
  }
  return sites.get(mode)!;
};
const observations: Observation[] = [];

afterAll(async () => {
  process.stdout.write(`${renderMatrix(observations)}\n`);
  await Promise.all([...sites.values()].map((starting) => starting.then((site) => site.stop(), () => {})));
});

describe('the drill matrix', () => {
  it('checks every cell of the design redundancy table with a drill, and runs every failure in every mode', () => {
    const design = designRedundancyTable();
    expect(design.size).toBeGreaterThan(0);
    for (const [row, cells] of design) {
      expect(DESIGN_ROW_DRILLS[row], `design row "${row}" has no drill`).toBeDefined();
      for (const mode of MODES) expect(cells[mode], `design cell ${row} / ${mode}`).toBeTruthy();
    }
    expect(Object.keys(DESIGN_ROW_DRILLS).sort()).toEqual([...design.keys()].sort());
    expect([...ORDER].sort()).toEqual(FAILURES.map((f) => f.id).sort());
    for (const f of FAILURES) expect(Object.keys(EXPECTED[f.id]).sort()).toEqual([...MODES].sort());
  });
});

for (const mode of modes) {
  describe(`redundancy drills, mode ${mode}`, { timeout: 240_000 }, () => {
    let site: DrillSite;
    let terminal: DrillTerminal;

    beforeAll(async () => {
      const next = modes[modes.indexOf(mode) + 1];
      const starting = siteOf(mode);
      // The next site starts once this one stands, whether it started or not.
      starting.finally(() => next && siteOf(next)).catch(() => {});
      site = await starting;
      terminal = new DrillTerminal(site.macs[0], site.dhcp, site.relays);
      const booted = await terminal.reboot();
      if (!booted.booted || terminal.sessionServer() !== 'rds-1') throw new Error(`the terminal did not boot before the drills: ${JSON.stringify(booted)}`);
    }, 300_000);

    afterAll(async () => {
      terminal?.shutdown();
      await site?.stop();
    });

    for (const failure of ORDER) {
      it(`${FAILURES.find((f) => f.id === failure)!.title}`, async () => {
        const observation: Observation = { mode, failure, observed: null };
        observations.push(observation);
        try {
          await bringTo(site, DRILLS[failure].needs);
          observation.observed = await DRILLS[failure].run({ site, terminal });
        } catch (error) {
          observation.error = String(error instanceof Error ? error.message : error).split('\n')[0];
          throw error;
        }
        expect(observation.observed).toEqual(EXPECTED[failure][mode]);
      });
    }
  });
}
