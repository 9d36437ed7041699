import { and, eq, inArray, sql } from 'drizzle-orm';
import type { SQLiteColumn, SQLiteTable } from 'drizzle-orm/sqlite-core';
import type { Tx } from '../../db/database';
import { displayClients, recordHeads, terminalGroups, terminals } from '../../db/schema';
import { conflict, DomainError } from '../domain/errors';

/** Where a write comes from: made on this server, or pulled from the peer. */
export type WriteOrigin = 'local' | 'peer';

/** A kind of record others point at: its table, its entity name, and how a person calls it. */
export interface ReferenceTarget {
  table: SQLiteTable & { id: SQLiteColumn };
  entity: string;
  label: string;
}

/**
 * Refuses a write that points at records that do not exist. A change pulled from the peer may
 * also point at a record deleted here at the same time (its tombstone is here): the two servers
 * must converge, and the sync status reports the dangling reference. A record never known here
 * is refused either way.
 */
export async function ensureExist(tx: Tx, target: ReferenceTarget, ids: (string | null | undefined)[] | null | undefined, field: string, origin: WriteOrigin): Promise<void> {
  const wanted = [...new Set((ids ?? []).filter((id): id is string => !!id))];
  if (!wanted.length) return;
  const found = await tx.select({ id: target.table.id }).from(target.table).where(inArray(target.table.id, wanted)).all();
  const have = new Set(found.map((r) => String(r.id)));
  let missing = wanted.filter((id) => !have.has(id));
  if (missing.length && origin === 'peer') {
    const tombstones = await tx
      .select({ id: recordHeads.recordId })
      .from(recordHeads)
      .where(and(eq(recordHeads.entity, target.entity), inArray(recordHeads.recordId, missing), eq(recordHeads.deleted, true)))
      .all();
    const deleted = new Set(tombstones.map((t) => t.id));
    missing = missing.filter((id) => !deleted.has(id));
  }
  if (missing.length)
    throw new DomainError(400, 'unknown_reference', `${field} names ${target.label} ${missing.join(', ')}, which does not exist.`, { field, missing });
}

/** Terminals and groups whose ordered display-client list names this client. */
export async function ensureDisplayClientUnused(tx: Tx, id: string): Promise<void> {
  const pattern = `%"${id}"%`;
  const [t] = await tx.select({ n: sql<number>`count(*)` }).from(terminals).where(sql`${terminals.displayClientIds} LIKE ${pattern}`).all();
  const [g] = await tx.select({ n: sql<number>`count(*)` }).from(terminalGroups).where(sql`${terminalGroups.displayClientIds} LIKE ${pattern}`).all();
  if (t.n + g.n > 0)
    throw conflict('in_use', `The display client is used by ${t.n} terminal(s) and ${g.n} group(s); remove it from them first.`, { terminals: t.n, groups: g.n });
}

export async function ensureTerminalServerUnused(tx: Tx, id: string): Promise<void> {
  const [d] = await tx.select({ n: sql<number>`count(*)` }).from(displayClients).where(sql`${displayClients.terminalServerIds} LIKE ${`%"${id}"%`}`).all();
  if (d.n > 0) throw conflict('in_use', `The terminal server is listed by ${d.n} display client(s); remove it from them first.`, { displayClients: d.n });
}

export async function ensureFirmwareUnused(tx: Tx, id: string): Promise<void> {
  const [t] = await tx.select({ n: sql<number>`count(*)` }).from(terminals).where(eq(terminals.firmwarePackageId, id)).all();
  const [g] = await tx.select({ n: sql<number>`count(*)` }).from(terminalGroups).where(eq(terminalGroups.firmwarePackageId, id)).all();
  if (t.n + g.n > 0)
    throw conflict('in_use', `The firmware package is assigned to ${t.n} terminal(s) and ${g.n} group(s); assign another first.`, { terminals: t.n, groups: g.n });
}
