import { eq } from 'drizzle-orm';
import type { Database } from '../../db/database';
import { syncConflicts } from '../../db/schema';
import { notFound } from '../domain/errors';
import { recordAudit } from '../services/audit';
import type { ChangeContext } from '../services/record-change';

/** An admin has seen a conflict: it no longer counts as open. Acknowledging twice changes nothing. */
export async function acknowledgeConflict(db: Database, ctx: ChangeContext, id: string) {
  return db.write(async (tx) => {
    const found = await tx.select().from(syncConflicts).where(eq(syncConflicts.id, id)).get();
    if (!found) throw notFound('conflict', id);
    if (found.acknowledgedAt) return found;
    const [updated] = await tx.update(syncConflicts).set({ acknowledgedAt: ctx.at.toISOString(), acknowledgedBy: ctx.actor }).where(eq(syncConflicts.id, id)).returning();
    await recordAudit(tx, ctx.serverId, ctx.at, { actor: ctx.actor, action: 'sync.conflict_acknowledged', entity: found.entity, entityId: found.recordId, after: { conflictId: id } });
    return updated;
  });
}
