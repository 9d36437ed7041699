import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { terminalLeases, terminals, terminalStatus } from '../../db/schema';
import { countTerminalStates } from '../../functions/dashboard/read/terminal-states';
import { listTerminals } from '../../functions/dashboard/read/terminal-list';
import { BOOT_WINDOW_MS, terminalState, type StateInputs } from '../../functions/dashboard/view/terminal-state';
import { inProcessHandler } from '../support/in-process';
import { testMac } from '../support/licensing';

/**
 * The terminal state rule is written twice: in `view/terminal-state.ts` for one terminal, and as
 * SQL for lists and counts. Both must give every terminal the same state.
 */
describe('terminal states: the SQL rule and the pure rule agree', () => {
  let h: Awaited<ReturnType<typeof inProcessHandler>>;
  const now = Date.parse('2027-03-01T12:00:00Z');
  const ago = (ms: number) => new Date(now - ms).toISOString();
  // Every combination that matters: no check-in, cached boot, no / expired / valid lease, inside and past the boot window.
  const cases: StateInputs[] = [
    { lastBootAt: null, source: null, leaseExpiresAt: null },
    { lastBootAt: null, source: null, leaseExpiresAt: now + 1000 },
    { lastBootAt: ago(1000), source: 'cache', leaseExpiresAt: now + 1000 },
    { lastBootAt: ago(1000), source: 'live', leaseExpiresAt: null },
    { lastBootAt: ago(1000), source: 'live', leaseExpiresAt: now },
    { lastBootAt: ago(1000), source: 'live', leaseExpiresAt: now + 1000 },
    { lastBootAt: ago(BOOT_WINDOW_MS - 1), source: 'live', leaseExpiresAt: now + 1000 },
    { lastBootAt: ago(BOOT_WINDOW_MS), source: 'live', leaseExpiresAt: now + 1000 },
    { lastBootAt: ago(BOOT_WINDOW_MS * 10), source: 'live', leaseExpiresAt: now + 1000 },
    { lastBootAt: ago(BOOT_WINDOW_MS * 10), source: 'cache', leaseExpiresAt: null },
  ];

  beforeAll(async () => {
    h = await inProcessHandler();
    const stamp = { version: 1, createdAt: ago(0), updatedAt: ago(0) };
    await h.db.write(async (tx) => {
      for (const [i, c] of cases.entries()) {
        const mac = testMac(i + 1);
        await tx.insert(terminals).values({ ...stamp, id: `t-${String(i).padStart(2, '0')}`, mac, name: `t-${String(i).padStart(2, '0')}` });
        if (c.lastBootAt) await tx.insert(terminalStatus).values({ mac, lastBootAt: c.lastBootAt, relayId: 'relay-a', source: c.source!, firmwareVersion: null });
        if (c.leaseExpiresAt !== null) await tx.insert(terminalLeases).values({ mac, grantedAt: ago(0), renewedAt: ago(0), expiresAt: c.leaseExpiresAt, relayId: 'relay-a' });
      }
    });
  });
  afterAll(() => h?.close());

  it('gives each terminal of a list the state the pure rule gives it', async () => {
    const page = await listTerminals(h.db.orm, {}, { limit: 50, offset: 0 }, now);
    expect(page.total).toBe(cases.length);
    expect(page.items.map((t) => t.state)).toEqual(cases.map((c) => terminalState(c, now)));
    // Every state appears, so that the comparison covers each branch.
    expect(new Set(page.items.map((t) => t.state))).toEqual(new Set(['never-booted', 'booting', 'running', 'failing']));
  });

  it('counts and filters by the same rule', async () => {
    const expected = { 'never-booted': 0, booting: 0, running: 0, failing: 0 };
    for (const c of cases) expected[terminalState(c, now)]++;
    expect(await countTerminalStates(h.db.orm, now)).toEqual(expected);
    for (const state of ['never-booted', 'booting', 'running', 'failing'] as const) {
      const filtered = await listTerminals(h.db.orm, { status: state }, { limit: 50, offset: 0 }, now);
      expect(filtered.total, state).toBe(expected[state]);
      expect(filtered.items.every((t) => t.state === state)).toBe(true);
    }
  });

  it('pages with the total of the whole filtered list, and past the end', async () => {
    const first = await listTerminals(h.db.orm, {}, { limit: 3, offset: 0 }, now);
    expect(first.items.map((t) => t.name)).toEqual(['t-00', 't-01', 't-02']);
    expect(first.total).toBe(cases.length);
    const past = await listTerminals(h.db.orm, {}, { limit: 3, offset: 100 }, now);
    expect(past).toEqual({ items: [], total: cases.length });
    const search = await listTerminals(h.db.orm, { search: 't_0' }, { limit: 3, offset: 0 }, now);
    // "_" is a character, not a wildcard (as one, "t_0" would match every "t-0…").
    expect(search.total).toBe(0);
  });
});
