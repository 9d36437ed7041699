import { and, asc, eq, gt } from 'drizzle-orm';
import type { Tx } from '../../db/database';
import { changeLog, type ChangeLogEntry } from '../../db/schema';
import { conflict, DomainError, notFound } from '../domain/errors';
import { resourceSpecs } from '../routes/resource';
import { syncedEntity } from '../sync/entities';
import { headOf } from './change-log';
import { recordChange, type ChangeContext } from './record-change';
import { refreshResolvedConfigs } from './resolved-configs';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Row = Record<string, any> & { id: string; version: number; createdAt: string; updatedAt: string };

/**
 * Undoes a change by writing its inverse as a new change: the record goes back to
 * its state before the change (deleted if the change created it, re-created if
 * the change deleted it). The new change is audited
 * and synchronised like any other. Refused with `revert_conflict` when the record
 * has changed since, unless forced, because the revert would overwrite that.
 */
export async function revertChange(tx: Tx, ctx: ChangeContext, changeId: string, force: boolean): Promise<{ change: ChangeLogEntry; record: Row | null }> {
  const target = await tx.select().from(changeLog).where(eq(changeLog.changeId, changeId)).get();
  if (!target) throw notFound('change', changeId);
  if (target.status === 'failed') throw conflict('revert_not_applicable', 'This change failed to apply on this server, so there is nothing to undo here.', { changeId });
  const synced = syncedEntity(target.entity);
  if (!synced) throw new DomainError(400, 'revert_not_supported', `Changes to ${target.entity} cannot be reverted.`, { entity: target.entity });

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

  const spec = resourceSpecs.get(target.entity);
  const table = synced.table as any;
  const current = ((await tx.select().from(table).where(eq(synced.idColumn, target.recordId)).get()) as Row | undefined) ?? null;
  const restore = target.before as Row | null;
  const context = { ...ctx };

  if (!restore) {
    if (!current) throw conflict('revert_not_applicable', `The ${target.entity} this change created is already gone.`, { changeId });
    await spec?.ensureDeletable?.(tx, current);
    const scope = spec ? await spec.scope(tx, null, current) : 'all';
    await tx.delete(table).where(eq(synced.idColumn, target.recordId));
    await spec?.afterWrite?.(tx, null, current);
    await refreshResolvedConfigs(tx, scope);
    const change = await recordChange(tx, context, { entity: target.entity, id: target.recordId, operation: 'delete', before: current, after: null, revertOf: changeId });
    return { change, record: null };
  }

  const fields = Object.fromEntries(synced.columnKeys.filter((k) => k in restore).map((k) => [k, restore[k]]));
  const next: Row = {
    ...fields,
    id: target.recordId,
    version: (current?.version ?? restore.version) + 1,
    createdAt: restore.createdAt,
    updatedAt: ctx.at.toISOString(),
  };
  await spec?.validate?.(tx, next as any, current as any);
  const [written] = (current
    ? await tx.update(table).set(next).where(eq(synced.idColumn, target.recordId)).returning()
    : await tx.insert(table).values(next).returning()) as Row[];
  await spec?.afterWrite?.(tx, written, current as any);
  await refreshResolvedConfigs(tx, spec ? await spec.scope(tx, written, current as any) : 'all');
  const change = await recordChange(tx, context, {
    entity: target.entity,
    id: target.recordId,
    operation: current ? 'update' : 'create',
    before: current,
    after: written,
    revertOf: changeId,
  });
  return { change, record: written as Row };
}
