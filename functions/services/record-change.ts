import type { Tx } from '../../db/database';
import { recordAudit } from './audit';

export interface ChangeContext {
  serverId: string;
  actor: string;
  at: Date;
}

export interface RecordChange {
  entity: string;
  id: string;
  operation: 'create' | 'update' | 'delete';
  before: unknown;
  after: unknown;
}

/**
 * Every configuration write passes through here inside its transaction: the
 * audit event is written with it (and, for a redundant pair, the change log
 * entry the peer pulls).
 */
export async function recordChange(tx: Tx, ctx: ChangeContext, change: RecordChange): Promise<void> {
  await recordAudit(tx, ctx.serverId, ctx.at, {
    actor: ctx.actor,
    action: `${change.entity}.${change.operation}`,
    entity: change.entity,
    entityId: change.id,
    before: change.before,
    after: change.after,
  });
}
