import { auditEvents } from '../../db/schema';
import type { Tx } from '../../db/database';

export interface AuditEntry {
  actor: string;
  action: string;
  entity: string;
  entityId?: string | null;
  before?: unknown;
  after?: unknown;
}

/** The stored row of an audit event made on `serverId` at `at`. */
export function auditRow(serverId: string, at: Date | string, entry: AuditEntry): typeof auditEvents.$inferInsert {
  return {
    at: typeof at === 'string' ? at : at.toISOString(),
    serverId,
    actor: entry.actor,
    action: entry.action,
    entity: entry.entity,
    entityId: entry.entityId ?? null,
    before: entry.before ?? null,
    after: entry.after ?? null,
  };
}

/** Written in the transaction of the change it records, so neither exists without the other. */
export async function recordAudit(tx: Tx, serverId: string, at: Date, entry: AuditEntry): Promise<void> {
  await tx.insert(auditEvents).values(auditRow(serverId, at, entry));
}
