import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRILLS } from './drills';
import { DESIGN_ROW_DRILLS, designRedundancyTable, EXPECTED, FAILURES, type FailureId, MODES, type Observation, renderMatrix } from './matrix';
import { type DrillSite, startDrillSite } from './site';
import { bootOnce, EmulatedTerminal } from './terminal';

/**
 * Redundancy drills: for each mode, one site of real processes on loopback, and every failure
 * of the matrix in turn (each drill puts the site back). The matrix of expected and observed
 * outcomes is printed at the end, also when a drill fails.
 */

/** The order drills run in on one site: the terminal server drill first, while the session is on the first server of its list. */
const ORDER: FailureId[] = [
  'terminal-server-dies',
  'relay-a-down-reboot',
  'primary-down-running',
  'primary-down-reboot',
  'change-primary-down',
  'both-down-reboot',
  'partition',
  // Last: it uses up the licence.
  'licence-exceeded',
];

const observations: Observation[] = [];
afterAll(() => {
  process.stdout.write(`${renderMatrix(observations)}\n`);
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

for (const mode of MODES) {
  describe(`redundancy drills, mode ${mode}`, { timeout: 120_000 }, () => {
    let site: DrillSite;
    let terminal: EmulatedTerminal;

    beforeAll(async () => {
      site = await startDrillSite(mode);
      terminal = new EmulatedTerminal(site.macs[0], () => site.relays);
      // Its earlier boots went through both relays: each holds its last-known-good configuration.
      const throughB = await bootOnce(terminal.mac, [site.relays[1]]);
      const throughA = await terminal.reboot();
      if (!throughB.booted || !throughA.booted || throughA.relay !== 'relay-a') throw new Error(`the terminal did not boot before the drills: ${JSON.stringify([throughB, throughA])}`);
    }, 180_000);

    afterAll(async () => {
      terminal?.shutdown();
      await site?.stop();
    });

    for (const failure of ORDER) {
      it(`${FAILURES.find((f) => f.id === failure)!.title}`, async () => {
        const observation: Observation = { mode, failure, observed: null };
        observations.push(observation);
        try {
          observation.observed = await DRILLS[failure]({ site, terminal });
        } catch (error) {
          observation.error = String(error instanceof Error ? error.message : error).split('\n')[0];
          throw error;
        }
        expect(observation.observed).toEqual(EXPECTED[failure][mode]);
      });
    }
  });
}
