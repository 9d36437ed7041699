import { desc, eq, lt, notInArray, sql } from 'drizzle-orm';
import type { Database } from '../../db/database';
import { pendingTerminals } from '../../db/schema';
import { notFound } from '../domain/errors';
import { recordAudit } from './audit';
import type { ChangeContext } from './record-change';

/** The pending list keeps at most this many terminals, the most recently seen. */
export const MAX_PENDING_TERMINALS = 1000;
/** A pending terminal not seen for this long leaves the list. */
export const PENDING_MAX_AGE_DAYS = 30;

/**
 * A terminal asked to boot and is not configured: it waits in the pending list for an admin.
 * Anyone on the plant network can send boot requests with made-up MACs, so the list is bounded:
 * entries age out, and past the cap the least recently seen go first.
 */
export async function notePendingTerminal(db: Database, mac: string, relayId: string | null, at: Date): Promise<void> {
  const seen = at.toISOString();
  const cutoff = new Date(at.getTime() - PENDING_MAX_AGE_DAYS * 86_400_000).toISOString();
  await db.write(async (tx) => {
    await tx
      .insert(pendingTerminals)
      .values({ mac, firstSeen: seen, lastSeen: seen, relayId })
      .onConflictDoUpdate({
        target: pendingTerminals.mac,
        set: { lastSeen: seen, relayId: sql`coalesce(${relayId}, ${pendingTerminals.relayId})`, requestCount: sql`${pendingTerminals.requestCount} + 1` },
      });
    await tx.delete(pendingTerminals).where(lt(pendingTerminals.lastSeen, cutoff));
    const newest = tx.select({ mac: pendingTerminals.mac }).from(pendingTerminals).orderBy(desc(pendingTerminals.lastSeen)).limit(MAX_PENDING_TERMINALS);
    await tx.delete(pendingTerminals).where(notInArray(pendingTerminals.mac, newest));
  });
}

/** An admin dismisses a pending terminal. */
export async function dismissPendingTerminal(db: Database, ctx: ChangeContext, mac: string): Promise<void> {
  const removed = await db.write(async (tx) => {
    const row = await tx.select().from(pendingTerminals).where(eq(pendingTerminals.mac, mac)).get();
    if (!row) return false;
    await tx.delete(pendingTerminals).where(eq(pendingTerminals.mac, mac));
    await recordAudit(tx, ctx.serverId, ctx.at, { actor: ctx.actor, action: 'pending-terminal.dismiss', entity: 'pending-terminal', entityId: mac, before: row });
    return true;
  });
  if (!removed) throw notFound('pending terminal', mac);
}
