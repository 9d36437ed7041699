import { and, asc, eq, gt } from 'drizzle-orm';
import type { Tx } from '../../db/database';
import { changeLog } from '../../db/schema';
import { conflict, DomainError, notFound } from '../domain/errors';
import { LICENSE_ENTITY } from '../domain/license';
import { headOf } from './change-log';
import { entitySpec, pickColumns, type StoredRecord } from './entities';
import type { ChangeContext } from './record-change';
import { findRecord, writeRecord, type WrittenRecord } from './write-record';

/**
 * Undoes a change by writing its inverse as a new change: the record goes back to
 * its state before the change (deleted if the change created it, re-created if
 * the change deleted it). The new change is audited
 * and synchronised like any other. Refused with `revert_conflict` when the record
 * has changed since, unless forced, because the revert would overwrite that.
 */
export async function revertChange(tx: Tx, ctx: ChangeContext, changeId: string, force: boolean): Promise<WrittenRecord> {
  const target = await tx.select().from(changeLog).where(eq(changeLog.changeId, changeId)).get();
  if (!target) throw notFound('change', changeId);
  if (target.status === 'failed') throw conflict('revert_not_applicable', 'This change failed to apply on this server, so there is nothing to undo here.', { changeId });
  const spec = entitySpec(target.entity);
  if (!spec) throw new DomainError(400, 'revert_not_supported', `Changes to ${target.entity} cannot be reverted.`, { entity: target.entity });
  if (spec.entity === LICENSE_ENTITY)
    throw new DomainError(403, 'license_revert_refused', 'A licence cannot be rolled back: it is replaced only by installing a newer licence file (PUT /api/v1/license, admin).', { changeId });

  const head = await headOf(tx, target.entity, target.recordId);
  if (head && head.changeId !== target.changeId && !force) {
    const later = await tx
      .select({ changeId: changeLog.changeId, operation: changeLog.operation, origin: changeLog.origin, at: changeLog.at, actor: changeLog.actor, status: changeLog.status })
      .from(changeLog)
      .where(and(eq(changeLog.entity, target.entity), eq(changeLog.recordId, target.recordId), gt(changeLog.seq, target.seq)))
      .orderBy(asc(changeLog.seq))
      .all();
    throw conflict(
      'revert_conflict',
      `The ${target.entity} has changed since this change (it is now at change ${head.changeId}); reverting would overwrite ${later.length || 'a'} later change(s). Revert the latest change first, or send ?force=true to restore the state before this change anyway.`,
      { changeId, currentChangeId: head.changeId, laterChanges: later },
    );
  }

  const current = await findRecord(tx, spec, target.recordId);
  const restore = target.before as StoredRecord | null;
  const write = { entity: target.entity, id: target.recordId, previous: current, revertOf: changeId };
  if (!restore) {
    if (!current) throw conflict('revert_not_applicable', `The ${target.entity} this change created is already gone.`, { changeId });
    return writeRecord(tx, ctx, { ...write, next: null });
  }
  const next: StoredRecord = {
    ...pickColumns(spec, restore),
    id: target.recordId,
    version: (current?.version ?? restore.version) + 1,
    createdAt: restore.createdAt,
    updatedAt: ctx.at.toISOString(),
  };
  return writeRecord(tx, ctx, { ...write, next });
}
