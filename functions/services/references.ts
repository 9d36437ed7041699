import { eq, inArray, sql } from 'drizzle-orm';
import type { SQLiteColumn, SQLiteTable } from 'drizzle-orm/sqlite-core';
import type { Tx } from '../../db/database';
import { displayClients, terminalGroups, terminals } from '../../db/schema';
import { conflict, DomainError } from '../domain/errors';

/** Refuses a write that points at records that do not exist. */
export async function ensureExist(tx: Tx, table: SQLiteTable & { id: SQLiteColumn }, ids: (string | null | undefined)[] | null | undefined, field: string, entity: string): Promise<void> {
  const wanted = [...new Set((ids ?? []).filter((id): id is string => !!id))];
  if (!wanted.length) return;
  const found = await tx.select({ id: table.id }).from(table).where(inArray(table.id, wanted)).all();
  const have = new Set(found.map((r) => String(r.id)));
  const missing = wanted.filter((id) => !have.has(id));
  if (missing.length)
    throw new DomainError(400, 'unknown_reference', `${field} names ${entity} ${missing.join(', ')}, which does not exist.`, { field, missing });
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
