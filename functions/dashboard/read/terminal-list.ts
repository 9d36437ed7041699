import { and, asc, count, eq, inArray, or, sql, type SQL } from 'drizzle-orm';
import type { SQLiteSelect } from 'drizzle-orm/sqlite-core';
import type { Orm } from '../../../db/database';
import { resolvedConfigs, terminalLeases, terminals, terminalStatus } from '../../../db/schema';
import type { TerminalState } from '../view/terminal-state';
import { stateSql } from './terminal-states';

export interface TerminalFilter {
  /** Part of a name or a MAC. */
  search?: string;
  /** A group and every group below it. */
  groupIds?: string[];
  status?: TerminalState;
  /** The relay of its last check-in here. */
  relay?: string;
  /** The firmware package its resolved configuration names (its own or inherited). */
  firmwareId?: string;
}

export interface TerminalRow {
  id: string;
  name: string;
  mac: string;
  groupId: string | null;
  state: TerminalState;
  lastBootAt: string | null;
  relayId: string | null;
  firmwareVersion: string | null;
}

/** `%` and `_` typed in a search are themselves, not wildcards. */
const contains = (text: string) => `%${text.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;

/** A page of terminals by name, filtered, with the state their check-ins show, and the total. */
export async function listTerminals(orm: Orm, filter: TerminalFilter, page: { limit: number; offset: number }, now: number): Promise<{ items: TerminalRow[]; total: number }> {
  const state = stateSql(now);
  const conditions: (SQL | undefined)[] = [
    filter.search ? or(sql`${terminals.name} like ${contains(filter.search)} escape '\\'`, sql`${terminals.mac} like ${contains(filter.search.toLowerCase().replace(/-/g, ':'))} escape '\\'`) : undefined,
    filter.groupIds ? inArray(terminals.groupId, filter.groupIds) : undefined,
    filter.status ? eq(state, filter.status) : undefined,
    filter.relay ? eq(terminalStatus.relayId, filter.relay) : undefined,
    filter.firmwareId ? sql`json_extract(${resolvedConfigs.document}, '$.firmware.id') = ${filter.firmwareId}` : undefined,
  ];
  const where = and(...conditions);
  // The joins the state needs (check-in, lease here), and the resolved document for the firmware filter.
  const joined = <Q extends SQLiteSelect>(query: Q) => {
    const withState = query.leftJoin(terminalStatus, eq(terminalStatus.mac, terminals.mac)).leftJoin(terminalLeases, eq(terminalLeases.mac, terminals.mac));
    return (filter.firmwareId ? withState.leftJoin(resolvedConfigs, eq(resolvedConfigs.terminalId, terminals.id)) : withState).where(where);
  };
  const columns = {
    id: terminals.id,
    name: terminals.name,
    mac: terminals.mac,
    groupId: terminals.groupId,
    state,
    lastBootAt: terminalStatus.lastBootAt,
    relayId: terminalStatus.relayId,
    firmwareVersion: terminalStatus.firmwareVersion,
  };
  // The total in the same statement (a window over the filtered rows, before the limit); a page past
  // the end has no row to carry it and asks again.
  const rows = await joined(orm.select({ ...columns, total: sql<number>`count(*) over ()` }).from(terminals).$dynamic())
    .orderBy(asc(terminals.name))
    .limit(page.limit)
    .offset(page.offset)
    .all();
  const total = rows.length ? rows[0].total : (await joined(orm.select({ total: count() }).from(terminals).$dynamic()).all())[0].total;
  return { items: rows.map(({ total: _, ...row }) => row) as TerminalRow[], total };
}
