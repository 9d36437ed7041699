import type { Tx } from '../../db/database';
import type { ChangeLogEntry } from '../../db/schema';
import { redactSecrets } from '../domain/secrets';
import { recordAudit, type AuditEntry } from './audit';
import { appendLocalChange, type LocalChange } from './change-log';

export interface ChangeContext {
  serverId: string;
  actor: string;
  at: Date;
}

/** The audit event of a configuration change, the same whether it was made here or pulled from the peer; secrets never reach the audit log. */
export function auditOfChange(change: { entity: string; recordId: string; operation: string; before?: unknown; after?: unknown; revertOf?: string | null; actor: string }): AuditEntry {
  return {
    actor: change.actor,
    action: change.revertOf ? `${change.entity}.revert` : `${change.entity}.${change.operation}`,
    entity: change.entity,
    entityId: change.recordId,
    before: redactSecrets(change.entity, change.before),
    after: redactSecrets(change.entity, change.after),
  };
}

/**
 * Every configuration write made on this server ends here, inside its transaction: the
 * change-log entry the peer pulls and the audit event are written with it, and the peer is
 * poked once the transaction commits.
 */
export async function recordChange(tx: Tx, ctx: ChangeContext, change: LocalChange): Promise<ChangeLogEntry> {
  const entry = await appendLocalChange(tx, ctx, change);
  await recordAudit(tx, ctx.serverId, ctx.at, auditOfChange({ ...change, recordId: change.id, actor: ctx.actor }));
  return entry;
}
