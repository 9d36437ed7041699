import { eq } from 'drizzle-orm';
import type { Database } from '../../db/database';
import { syncState } from '../../db/schema';
import { recordAudit } from '../services/audit';
import type { ChangeContext } from '../services/record-change';

export type SyncStateRow = typeof syncState.$inferSelect;

/** This server's sync identity and switches; made on first use. */
export async function loadSyncState(db: Database): Promise<SyncStateRow> {
  const row = await db.orm.select().from(syncState).where(eq(syncState.id, 1)).get();
  if (row) return row;
  await db.write((tx) => tx.insert(syncState).values({ id: 1, logId: crypto.randomUUID() }).onConflictDoNothing());
  return (await db.orm.select().from(syncState).where(eq(syncState.id, 1)).get())!;
}

/** Pauses or resumes synchronisation on this server, with its audit event, in one transaction. */
export async function setPaused(db: Database, ctx: ChangeContext, paused: boolean): Promise<SyncStateRow> {
  await loadSyncState(db);
  await db.write(async (tx) => {
    await tx.update(syncState).set({ paused, pausedAt: paused ? ctx.at.toISOString() : null, pausedBy: paused ? ctx.actor : null }).where(eq(syncState.id, 1));
    await recordAudit(tx, ctx.serverId, ctx.at, { actor: ctx.actor, action: paused ? 'sync.pause' : 'sync.resume', entity: 'sync', entityId: ctx.serverId });
  });
  return loadSyncState(db);
}
