import { eq, sql } from 'drizzle-orm';
import type { Database } from '../../db/database';
import { pendingTerminals } from '../../db/schema';
import { notFound } from '../domain/errors';
import { recordAudit } from './audit';
import type { ChangeContext } from './record-change';

/** A terminal asked to boot and is not configured: it waits in the pending list for an admin. */
export async function notePendingTerminal(db: Database, mac: string, relayId: string | null, at: Date): Promise<void> {
  const seen = at.toISOString();
  await db.write((tx) =>
    tx
      .insert(pendingTerminals)
      .values({ mac, firstSeen: seen, lastSeen: seen, relayId })
      .onConflictDoUpdate({
        target: pendingTerminals.mac,
        set: { lastSeen: seen, relayId: sql`coalesce(${relayId}, ${pendingTerminals.relayId})`, requestCount: sql`${pendingTerminals.requestCount} + 1` },
      }),
  );
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
