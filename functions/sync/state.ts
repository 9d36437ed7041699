import { eq } from 'drizzle-orm';
import type { Database } from '../../db/database';
import { syncState } from '../../db/schema';

export type SyncStateRow = typeof syncState.$inferSelect;

/** This server's sync identity and switches; made on first use. */
export async function loadSyncState(db: Database): Promise<SyncStateRow> {
  const row = await db.orm.select().from(syncState).where(eq(syncState.id, 1)).get();
  if (row) return row;
  await db.write((tx) => tx.insert(syncState).values({ id: 1, logId: crypto.randomUUID() }).onConflictDoNothing());
  return (await db.orm.select().from(syncState).where(eq(syncState.id, 1)).get())!;
}

export async function setPaused(db: Database, paused: boolean, by: string, at: Date): Promise<SyncStateRow> {
  await loadSyncState(db);
  await db.write((tx) => tx.update(syncState).set({ paused, pausedAt: paused ? at.toISOString() : null, pausedBy: paused ? by : null }).where(eq(syncState.id, 1)));
  return loadSyncState(db);
}
