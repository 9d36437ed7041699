import { count, eq, sql, type SQL } from 'drizzle-orm';
import type { Orm } from '../../../db/database';
import { terminalLeases, terminals, terminalStatus } from '../../../db/schema';
import { BOOT_WINDOW_MS, terminalStates, type TerminalState } from '../view/terminal-state';

/**
 * The rule of `view/terminal-state.ts` as SQL, over terminals left-joined with their check-in
 * (`terminal_status`) and their lease here (`terminal_leases`).
 */
export function stateSql(now: number): SQL<TerminalState> {
  const bootWindowStart = new Date(now - BOOT_WINDOW_MS).toISOString();
  return sql<TerminalState>`case
    when ${terminalStatus.mac} is null then 'never-booted'
    when ${terminalStatus.source} = 'cache' or ${terminalLeases.expiresAt} is null or ${terminalLeases.expiresAt} <= ${now} then 'failing'
    when ${terminalStatus.lastBootAt} > ${bootWindowStart} then 'booting'
    else 'running' end`;
}

/** How many configured terminals are in each state. */
export async function countTerminalStates(orm: Orm, now: number): Promise<Record<TerminalState, number>> {
  const state = stateSql(now);
  const rows = await orm
    .select({ state, n: count() })
    .from(terminals)
    .leftJoin(terminalStatus, eq(terminalStatus.mac, terminals.mac))
    .leftJoin(terminalLeases, eq(terminalLeases.mac, terminals.mac))
    .groupBy(state)
    .all();
  const counts = Object.fromEntries(terminalStates.map((s) => [s, 0])) as Record<TerminalState, number>;
  for (const row of rows) counts[row.state] = row.n;
  return counts;
}
