import { and, desc, eq } from 'drizzle-orm';
import { noteForCommit, type Tx } from '../../db/database';
import { changeLog, recordHeads, type ChangeLogEntry, type RecordHead } from '../../db/schema';
import { formatHlc, maxHlc, parseHlc, tickHlc } from '../domain/hlc';

export interface LocalChange {
  entity: string;
  id: string;
  operation: 'create' | 'update' | 'delete';
  before: unknown;
  after: unknown;
  revertOf?: string;
}

export async function headOf(tx: Tx, entity: string, recordId: string): Promise<RecordHead | undefined> {
  return tx.select().from(recordHeads).where(and(eq(recordHeads.entity, entity), eq(recordHeads.recordId, recordId))).get();
}

export async function setHead(tx: Tx, head: RecordHead): Promise<void> {
  const { entity, recordId, ...rest } = head;
  await tx.insert(recordHeads).values(head).onConflictDoUpdate({ target: [recordHeads.entity, recordHeads.recordId], set: rest });
}

/**
 * Appends a change made on this server to the change log, in the write's
 * transaction. Its clock stamp is later than every stamp in the log (this
 * server's and those pulled from the peer) and than the record's current one, so
 * the clock needs no state outside the database and survives restarts.
 */
export async function appendLocalChange(tx: Tx, ctx: { serverId: string; actor: string; at: Date }, change: LocalChange): Promise<ChangeLogEntry> {
  const head = await headOf(tx, change.entity, change.id);
  const latest = await tx.select({ hlc: changeLog.hlc }).from(changeLog).orderBy(desc(changeLog.hlc)).limit(1).get();
  const last = maxHlc(latest ? parseHlc(latest.hlc) : null, head ? parseHlc(head.hlc) : null);
  const hlc = formatHlc(tickHlc(last, ctx.at.getTime(), ctx.serverId));
  const entry = {
    changeId: crypto.randomUUID(),
    entity: change.entity,
    recordId: change.id,
    operation: change.operation,
    before: (change.before ?? null) as Record<string, unknown> | null,
    after: (change.after ?? null) as Record<string, unknown> | null,
    hlc,
    origin: ctx.serverId,
    baseChangeId: head?.changeId ?? null,
    actor: ctx.actor,
    at: ctx.at.toISOString(),
    revertOf: change.revertOf ?? null,
  };
  const [written] = await tx.insert(changeLog).values(entry).returning();
  await setHead(tx, { entity: change.entity, recordId: change.id, changeId: entry.changeId, hlc, origin: ctx.serverId, deleted: change.after == null });
  noteForCommit(tx, 'configuration');
  return written;
}
