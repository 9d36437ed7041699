import { and, asc, count, desc, eq, gt, max } from 'drizzle-orm';
import type { Database } from '../../db/database';
import { changeLog, recordHeads, type ChangeLogEntry, type RecordHead } from '../../db/schema';
import { DomainError } from '../domain/errors';
import { entitySpecs } from '../services/entities';
import type { ChangesPage, SnapshotDocument, WireChange } from './wire';


export interface ServerIdentity {
  serverId: string;
  logId: string;
  schemaVersion: number;
}

/**
 * Refuses a peer that runs another schema version (both versions named), or that
 * claims to be this very server (two servers with one TANDEM_SERVER_ID would take
 * each other's changes for their own). A pulling server says both in headers;
 * it also checks the version every answer names, so a caller that does not say
 * is answered and left to check.
 */
export function checkCaller(self: ServerIdentity, callerId: string | undefined, callerSchema: string | undefined): void {
  if (callerSchema !== undefined && !/^\d+$/.test(callerSchema))
    throw new DomainError(400, 'invalid_field', `x-tandem-schema-version must be a schema version number, not "${callerSchema}".`, { field: 'x-tandem-schema-version' });
  const peerSchemaVersion = callerSchema === undefined ? self.schemaVersion : Number(callerSchema);
  if (peerSchemaVersion !== self.schemaVersion)
    throw new DomainError(
      409,
      'schema_mismatch',
      `This server (${self.serverId}) is at schema version ${self.schemaVersion} and the peer (${callerId ?? 'unnamed'}) at ${peerSchemaVersion}; upgrade both servers to the same release before they synchronise.`,
      { localSchemaVersion: self.schemaVersion, peerSchemaVersion, serverId: self.serverId, peerServerId: callerId },
    );
  if (callerId !== undefined && callerId === self.serverId)
    throw new DomainError(409, 'same_server_id', `The peer calls itself "${callerId}", like this server; give the two servers different TANDEM_SERVER_ID values.`, { serverId: callerId });
}

export function toWire(entry: ChangeLogEntry): WireChange {
  return {
    seq: entry.seq,
    changeId: entry.changeId,
    entity: entry.entity,
    recordId: entry.recordId,
    operation: entry.operation,
    before: entry.before ?? null,
    after: entry.after ?? null,
    hlc: entry.hlc,
    origin: entry.origin,
    baseChangeId: entry.baseChangeId,
    actor: entry.actor,
    at: entry.at,
    revertOf: entry.revertOf,
  };
}

/**
 * This server's own changes after `after`, oldest first. Changes it pulled from
 * the peer are in the log too but are never sent back — except to a peer restored
 * from a backup, which asks for its own changes held here (`origin` is then the
 * peer's id) to take back those it lost. Read in one transaction, so the page,
 * the head and the counts agree.
 */
export async function readChangesPage(db: Database, self: ServerIdentity, after: number, limit: number, at: Date, origin = self.serverId): Promise<ChangesPage> {
  const own = and(eq(changeLog.origin, origin), gt(changeLog.seq, after));
  const [rows, [{ head }], [{ pending }], oldest] = await db.orm.batch([
    db.orm.select().from(changeLog).where(own).orderBy(asc(changeLog.seq)).limit(Math.max(limit, 0)),
    db.orm.select({ head: max(changeLog.seq) }).from(changeLog),
    db.orm.select({ pending: count() }).from(changeLog).where(own),
    db.orm.select({ at: changeLog.at }).from(changeLog).where(own).orderBy(asc(changeLog.seq)).limit(1),
  ]);
  const headSeq = head ?? 0;
  const full = limit > 0 && rows.length === limit;
  const next = limit === 0 ? after : full ? rows[rows.length - 1].seq : Math.max(headSeq, after);
  return {
    serverId: self.serverId,
    logId: self.logId,
    schemaVersion: self.schemaVersion,
    head: headSeq,
    changes: rows.map(toWire),
    next,
    hasMore: full && pending > rows.length,
    pending,
    oldestPendingAt: oldest[0]?.at ?? null,
    serverTime: at.toISOString(),
  };
}

/** How much history a snapshot carries: the newest changes, enough for undo, not the whole past. */
export const SNAPSHOT_HISTORY = 20_000;

/** Every synchronised record, every record's head and the recent log, read in one transaction. */
export async function readSnapshot(db: Database, self: ServerIdentity, at: Date): Promise<SnapshotDocument> {
  const entities = entitySpecs();
  const [[{ head }], heads, log, ...tables] = (await db.orm.batch([
    db.orm.select({ head: max(changeLog.seq) }).from(changeLog),
    db.orm.select().from(recordHeads),
    db.orm.select().from(changeLog).orderBy(desc(changeLog.seq)).limit(SNAPSHOT_HISTORY),
    ...entities.map((e) => db.orm.select().from(e.table)),
  ])) as [{ head: number | null }[], RecordHead[], ChangeLogEntry[], ...Record<string, unknown>[][]];
  return {
    serverId: self.serverId,
    logId: self.logId,
    schemaVersion: self.schemaVersion,
    head: head ?? 0,
    takenAt: at.toISOString(),
    records: Object.fromEntries(entities.map((e, i) => [e.entity, tables[i]])),
    heads,
    log: log.reverse().map((entry) => ({ ...toWire(entry), status: entry.status, error: entry.error, receivedAt: entry.receivedAt })),
  };
}
