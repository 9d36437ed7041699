import type { Tx } from '../../db/database';
import type { ChangeLogEntry } from '../../db/schema';
import { recordAudit } from './audit';
import { appendLocalChange, type LocalChange } from './change-log';

export interface ChangeContext {
  serverId: string;
  actor: string;
  at: Date;
}

/** What a write changed; `revertOf` names the change it undoes (`POST /api/v1/changes/{id}/revert`). */
export type RecordChange = LocalChange;

/**
 * Every configuration write passes through here inside its transaction: the
 * audit event and the change-log entry the peer pulls are written with it, and
 * the peer is poked once the transaction commits.
 */
export async function recordChange(tx: Tx, ctx: ChangeContext, change: RecordChange): Promise<ChangeLogEntry> {
  const entry = await appendLocalChange(tx, ctx, change);
  await recordAudit(tx, ctx.serverId, ctx.at, {
    actor: ctx.actor,
    action: change.revertOf ? `${change.entity}.revert` : `${change.entity}.${change.operation}`,
    entity: change.entity,
    entityId: change.id,
    before: change.before,
    after: change.after,
  });
  return entry;
}
