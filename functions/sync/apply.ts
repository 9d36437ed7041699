import { and, eq, getTableColumns, inArray, ne } from 'drizzle-orm';
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core';
import type { Tx } from '../../db/database';
import { insertMany } from '../../db/insert-many';
import { auditEvents, changeLog, recordHeads, syncConflicts, type RecordHead } from '../../db/schema';
import { chunks } from '../domain/chunks';
import { parseHlc } from '../domain/hlc';
import { appliesIncoming, conflictPairKey, decideIncoming, uniqueKeeper, type MergeDecision } from '../domain/merge';
import { auditRow, recordAudit } from '../services/audit';
import { ensureMayDelete, entitySpec, parseRow, type EntitySpec, type StoredRecord } from '../services/entities';
import { auditOfChange } from '../services/record-change';
import { WriteEffects } from '../services/write-effects';
import { findRecord } from '../services/write-record';
import type { WireChange } from './wire';

type Row = StoredRecord;

export interface ApplyContext {
  serverId: string;
  at: Date;
}

export interface ApplyOutcome {
  applied: number;
  superseded: number;
  duplicates: number;
  failed: number;
  conflicts: number;
}

/** How far ahead of this server's clock a pulled change's stamp may be. */
export const MAX_CLOCK_AHEAD_MS = 60 * 60_000;

const headKey = (entity: string, recordId: string) => `${entity}\u0000${recordId}`;
const SYSTEM_ACTOR = 'system:sync';

/** What a batch changes besides the records themselves; written once, at the end of the batch. */
class BatchEffects {
  heads = new Map<string, RecordHead>();
  log: (typeof changeLog.$inferInsert)[] = [];
  /** The same effects an API write has: boot documents, pending terminals, the licence. */
  readonly writes = new WriteEffects();
}

/** An upsert waiting to be written with the ones that follow it, in order. */
interface PendingUpsert {
  spec: EntitySpec;
  change: WireChange;
  row: StoredRecord;
  logEntry: typeof changeLog.$inferInsert;
  previousHead: RecordHead | null;
}

/**
 * Applies a batch of changes pulled from the peer, in the caller's transaction
 * (which also advances the cursor). A change already in the log is skipped, so a
 * batch applied twice changes nothing. A change that cannot be applied is
 * recorded as failed, with its error, and the batch goes on. Each applied
 * change has the rules' effects and the audit event a write made here has
 * (`services/write-record.ts`); they are carried out once, at the end.
 *
 * Runs of upserts to one table are written as multi-row statements, in the order
 * of the changes (exactly as one statement per change would, at a fraction of the
 * cost); a run that hits a unique constraint is replayed row by row so that the
 * uniqueness rule settles the claim. Heads, log entries and the pending-terminal
 * clean-up are written once per batch.
 */
export async function applyChanges(tx: Tx, ctx: ApplyContext, changes: WireChange[]): Promise<ApplyOutcome> {
  return new BatchApplier(tx, ctx).apply(changes);
}

class BatchApplier {
  private outcome: ApplyOutcome = { applied: 0, superseded: 0, duplicates: 0, failed: 0, conflicts: 0 };
  private effects = new BatchEffects();
  private heads = new Map<string, RecordHead>();
  private run: PendingUpsert[] = [];
  /** Records the batch will find changed on both sides, as they stand here before the batch. */
  private localRows = new Map<string, Row | null>();
  /** Changes the record was already at (copied with a snapshot): history only, no audit event. */
  private alreadyHere = new Set<string>();
  private receivedAt: string;

  constructor(
    private tx: Tx,
    private ctx: ApplyContext,
  ) {
    this.receivedAt = ctx.at.toISOString();
  }

  async apply(changes: WireChange[]): Promise<ApplyOutcome> {
    const { tx, effects, outcome } = this;
    if (!changes.length) return outcome;
    const known = new Set<string>();
    for (const chunk of chunks(changes.map((c) => c.changeId), 400))
      for (const row of await tx.select({ id: changeLog.changeId }).from(changeLog).where(inArray(changeLog.changeId, chunk)).all()) known.add(row.id);
    this.heads = await loadHeads(tx, changes);
    await this.loadLocalRowsOfConflicts(changes);

    for (const change of changes) {
      if (known.has(change.changeId)) {
        outcome.duplicates++;
        continue;
      }
      known.add(change.changeId);
      try {
        await this.applyOne(change);
      } catch (err) {
        await this.fail(change, err, { ...logFields(change), receivedAt: this.receivedAt }, true);
      }
    }
    await this.flush();

    await insertMany(tx, recordHeads, [...effects.heads.values()], { upsertOn: [recordHeads.entity, recordHeads.recordId] });
    await insertMany(tx, changeLog, effects.log.map(logRow));
    const audited = effects.log.filter((e) => e.status === 'applied' && !this.alreadyHere.has(e.changeId));
    await insertMany(tx, auditEvents, audited.map((e) => auditRow(e.origin, e.at, auditOfChange(e))));
    await effects.writes.apply(tx);
    return outcome;
  }

  private async applyOne(change: WireChange): Promise<void> {
    const { tx, effects, heads } = this;
    const spec = entitySpec(change.entity);
    if (!spec) throw new Error(`This server does not know the entity "${change.entity}".`);
    const stamp = parseHlc(change.hlc);
    // A stamp far ahead would win every later edit of the record, from either server.
    if (stamp.wall > this.ctx.at.getTime() + MAX_CLOCK_AHEAD_MS)
      throw new Error(`The change's clock stamp (${new Date(stamp.wall).toISOString()}) is more than ${MAX_CLOCK_AHEAD_MS / 60_000} minutes ahead of this server's clock; check the clocks of both servers.`);
    if (change.after && change.after.id !== change.recordId) throw new Error(`The change's state names record ${String(change.after.id)}, not ${change.recordId}.`);
    // The same rules as an API write: the stored shape and values here, references when written.
    const state = change.after ? parseRow(spec, change.after) : null;
    if (!state) ensureMayDelete(spec);

    const logEntry: typeof changeLog.$inferInsert = { ...logFields(change), receivedAt: this.receivedAt, status: 'applied' };
    const key = headKey(change.entity, change.recordId);
    const head = heads.get(key) ?? null;
    const decision = decideIncoming(head, change);
    if (decision.kind === 'duplicate') {
      // The record is already at this change (copied with a snapshot): keep it in the history only.
      this.alreadyHere.add(change.changeId);
      effects.log.push(logEntry);
      this.outcome.applied++;
      return;
    }

    let local: Row | null = null;
    if (decision.kind === 'conflict') {
      if (this.localRows.has(key)) local = this.localRows.get(key)!;
      else {
        await this.flush();
        local = await findRecord(tx, spec, change.recordId);
      }
    }
    if (appliesIncoming(decision)) {
      const deleted = change.after == null;
      if (deleted) {
        await this.flush();
        await tx.delete(spec.table).where(eq(spec.idColumn, change.recordId));
      } else {
        if (this.run.length && (this.run[0].spec !== spec || this.run.length >= 100)) await this.flush();
        this.run.push({ spec, change, row: state!, logEntry, previousHead: head });
      }
      spec.effects(effects.writes, change.recordId, state);
      const next = { entity: change.entity, recordId: change.recordId, changeId: change.changeId, hlc: change.hlc, origin: change.origin, deleted };
      heads.set(key, next);
      effects.heads.set(key, next);
      this.outcome.applied++;
    } else {
      logEntry.status = 'superseded';
      this.outcome.superseded++;
    }
    if (decision.kind === 'conflict') this.outcome.conflicts += await recordConcurrentConflict(tx, this.ctx, change, head!, local, decision);
    effects.log.push(logEntry);
  }

  /**
   * A conflict reports the record as it stands here; for a change whose base is
   * not the record's head it is read for the whole batch at once. (Changes of
   * this batch to such a record never precede the conflict: they would be its
   * base.)
   */
  private async loadLocalRowsOfConflicts(changes: WireChange[]): Promise<void> {
    const wanted = new Map<string, Set<string>>();
    for (const c of changes) {
      const head = this.heads.get(headKey(c.entity, c.recordId));
      if (head && head.changeId !== c.changeId && head.changeId !== c.baseChangeId && entitySpec(c.entity))
        wanted.set(c.entity, (wanted.get(c.entity) ?? new Set()).add(c.recordId));
    }
    for (const [entity, ids] of wanted) {
      const spec = entitySpec(entity)!;
      for (const chunk of chunks([...ids], 400)) {
        const rows = (await this.tx.select().from(spec.table).where(inArray(spec.idColumn, chunk)).all()) as Row[];
        const found = new Map(rows.map((r) => [r.id, r]));
        for (const id of chunk) this.localRows.set(headKey(entity, id), found.get(id) ?? null);
      }
    }
  }

  /**
   * Writes the pending run of upserts: one statement, then the entity's rules on each row (a row
   * may point at another of the same run); row by row when a unique constraint or a rule objects.
   */
  private async flush(): Promise<void> {
    const run = this.run;
    if (!run.length) return;
    this.run = [];
    const { spec } = run[0];
    try {
      await this.tx.transaction(async (sp) => {
        const previous = await rowsById(sp as Tx, spec, run.map((p) => p.change.recordId));
        await insertMany(sp as Tx, spec.table, run.map((p) => p.row), { upsertOn: [spec.idColumn] });
        for (const p of run) await spec.validate?.(sp as Tx, p.row, previous.get(p.change.recordId) ?? null, 'peer');
      });
      return;
    } catch {
      // Replayed one by one below: the row that objects is settled or recorded as failed alone.
    }
    for (const pending of run) {
      try {
        await this.tx.transaction(async (sp) => {
          await spec.validate?.(sp as Tx, pending.row, await findRecord(sp as Tx, spec, pending.change.recordId), 'peer');
          try {
            await upsert(sp as Tx, spec, pending.row);
          } catch (err) {
            if (!isUniqueViolation(err)) throw err;
            await this.settle(sp as Tx, pending);
          }
        });
      } catch (err) {
        this.outcome.applied--;
        const key = headKey(pending.change.entity, pending.change.recordId);
        if (pending.previousHead) {
          this.heads.set(key, pending.previousHead);
          this.effects.heads.set(key, pending.previousHead);
        } else {
          this.heads.delete(key);
          this.effects.heads.delete(key);
        }
        await this.fail(pending.change, err, pending.logEntry, false);
      }
    }
  }

  /** Another record here holds a MAC or name the incoming state claims: settle who keeps it. */
  private async settle(sp: Tx, pending: PendingUpsert): Promise<void> {
    const { spec, change } = pending;
    const side = new BatchEffects();
    const result = await settleUniqueClaims(sp, this.ctx, spec, change, this.heads, side);
    if (result.lost) await sp.delete(spec.table).where(eq(spec.idColumn, change.recordId));
    else await upsert(sp, spec, pending.row);
    this.outcome.conflicts += result.conflicts;
    for (const [k, h] of side.heads) {
      this.heads.set(k, h);
      this.effects.heads.set(k, h);
    }
    this.effects.writes.merge(side.writes);
    if (result.lost) {
      const key = headKey(change.entity, change.recordId);
      const head = this.heads.get(key);
      if (head?.changeId === change.changeId) {
        const tombstone = { ...head, deleted: true };
        this.heads.set(key, tombstone);
        this.effects.heads.set(key, tombstone);
      }
      spec.effects(this.effects.writes, change.recordId, null);
    }
  }

  private async fail(change: WireChange, err: unknown, logEntry: typeof changeLog.$inferInsert, push: boolean): Promise<void> {
    this.outcome.failed++;
    const error = reasonOf(err);
    logEntry.status = 'failed';
    logEntry.error = error;
    if (push) this.effects.log.push(logEntry);
    await recordAudit(this.tx, this.ctx.serverId, this.ctx.at, {
      actor: SYSTEM_ACTOR,
      action: 'sync.apply_failed',
      entity: change.entity,
      entityId: change.recordId,
      after: { changeId: change.changeId, origin: change.origin, error },
    });
  }
}

/** Every log entry with the same keys, as a multi-row insert needs. */
function logRow(entry: typeof changeLog.$inferInsert): typeof changeLog.$inferInsert {
  return { ...entry, receivedAt: entry.receivedAt ?? null, status: entry.status ?? 'applied', error: entry.error ?? null, revertOf: entry.revertOf ?? null };
}

/**
 * Another record here holds a unique value (MAC, name) the incoming state claims:
 * the record created first keeps it, on both servers (`uniqueKeeper`). `lost` is
 * true when the incoming record is the one that gives way.
 */
async function settleUniqueClaims(
  tx: Tx,
  ctx: ApplyContext,
  spec: EntitySpec,
  change: WireChange,
  heads: Map<string, RecordHead>,
  effects: BatchEffects,
): Promise<{ lost: boolean; conflicts: number }> {
  const after = change.after as Row;
  const columns = getTableColumns(spec.table) as Record<string, SQLiteColumn>;
  let conflicts = 0;
  for (const key of spec.uniqueKeys) {
    const values = key.map((k) => after[k]);
    if (values.some((v) => v === null || v === undefined)) continue;
    const holder = (await tx
      .select()
      .from(spec.table)
      .where(and(ne(spec.idColumn, change.recordId), ...key.map((k, i) => eq(columns[k], values[i]))))
      .get()) as Row | undefined;
    if (!holder) continue;

    const holderHead = heads.get(headKey(spec.entity, holder.id)) ?? (await loadHead(tx, spec.entity, holder.id));
    const incomingKeeps = uniqueKeeper<{ id: string; createdAt: string }>(holder, { id: change.recordId, createdAt: String(after.createdAt) }).id === change.recordId;
    const field = key.join('+');
    const value = values.join('+');
    const loserId = incomingKeeps ? holder.id : change.recordId;
    const keeperId = incomingKeeps ? change.recordId : holder.id;
    const inserted = await tx
      .insert(syncConflicts)
      .values({
        id: crypto.randomUUID(),
        pairKey: conflictPairKey('unique', holderHead?.changeId ?? holder.id, change.changeId),
        kind: 'unique',
        entity: spec.entity,
        recordId: loserId,
        local: { recordId: holder.id, changeId: holderHead?.changeId ?? null, hlc: holderHead?.hlc ?? null, origin: holderHead?.origin ?? null, state: holder },
        remote: { recordId: change.recordId, changeId: change.changeId, hlc: change.hlc, origin: change.origin, state: after },
        winnerChangeId: incomingKeeps ? change.changeId : (holderHead?.changeId ?? holder.id),
        resolution: `${spec.entity} ${field} "${value}" was claimed on both servers; it stays with ${keeperId}, created first, and ${loserId} was removed on both servers. Re-create it with another ${field} if it is still needed.`,
        detectedAt: ctx.at.toISOString(),
      })
      .onConflictDoNothing()
      .returning({ id: syncConflicts.id });
    if (inserted.length) {
      conflicts++;
      await recordAudit(tx, ctx.serverId, ctx.at, {
        actor: SYSTEM_ACTOR,
        action: 'sync.conflict',
        entity: spec.entity,
        entityId: loserId,
        before: holder,
        after: { kind: 'unique', field, value, keeperId, loserId },
      });
    }
    if (!incomingKeeps) return { lost: true, conflicts };

    await tx.delete(spec.table).where(eq(spec.idColumn, holder.id));
    spec.effects(effects.writes, holder.id, null);
    if (holderHead) effects.heads.set(headKey(spec.entity, holder.id), { ...holderHead, deleted: true });
  }
  return { lost: false, conflicts };
}

async function recordConcurrentConflict(
  tx: Tx,
  ctx: ApplyContext,
  change: WireChange,
  head: RecordHead,
  local: Row | null,
  decision: Extract<MergeDecision, { kind: 'conflict' }>,
): Promise<number> {
  const incomingWins = decision.winner === 'incoming';
  const winner = incomingWins ? { changeId: change.changeId, origin: change.origin } : head;
  const what = (state: unknown) => (state == null ? 'a delete' : 'an update');
  const inserted = await tx
    .insert(syncConflicts)
    .values({
      id: crypto.randomUUID(),
      pairKey: conflictPairKey('concurrent', head.changeId, change.changeId),
      kind: 'concurrent',
      entity: change.entity,
      recordId: change.recordId,
      local: { changeId: head.changeId, hlc: head.hlc, origin: head.origin, state: local },
      remote: { changeId: change.changeId, hlc: change.hlc, origin: change.origin, state: change.after },
      winnerChangeId: winner.changeId,
      resolution: `${change.entity} ${change.recordId} was changed on both servers; the later change (${what(incomingWins ? change.after : local)} made on ${winner.origin}) is in effect on both.`,
      detectedAt: ctx.at.toISOString(),
    })
    .onConflictDoNothing()
    .returning({ id: syncConflicts.id });
  if (!inserted.length) return 0;
  await recordAudit(tx, ctx.serverId, ctx.at, {
    actor: SYSTEM_ACTOR,
    action: 'sync.conflict',
    entity: change.entity,
    entityId: change.recordId,
    before: local,
    after: change.after,
  });
  return 1;
}

async function upsert(tx: Tx, spec: EntitySpec, row: Record<string, unknown>): Promise<void> {
  const { id: _id, ...rest } = row;
  await tx.insert(spec.table).values(row).onConflictDoUpdate({ target: spec.idColumn, set: rest });
}

/** The innermost message of an error: the driver's own words rather than the query that carried them. */
function reasonOf(err: unknown): string {
  let message = String((err as Error)?.message ?? err);
  for (let e = (err as { cause?: unknown })?.cause as { message?: string; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++)
    if (e.message) message = e.message;
  return message.slice(0, 2000);
}

function isUniqueViolation(err: unknown): boolean {
  for (let e = err as { message?: string; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++)
    if (/UNIQUE constraint failed/.test(String(e.message ?? ''))) return true;
  return false;
}

function logFields(change: WireChange) {
  return {
    changeId: change.changeId,
    entity: change.entity,
    recordId: change.recordId,
    operation: change.operation,
    before: change.before,
    after: change.after,
    hlc: change.hlc,
    origin: change.origin,
    baseChangeId: change.baseChangeId,
    actor: change.actor,
    at: change.at,
    revertOf: change.revertOf ?? null,
  };
}

async function loadHead(tx: Tx, entity: string, recordId: string): Promise<RecordHead | undefined> {
  return tx.select().from(recordHeads).where(and(eq(recordHeads.entity, entity), eq(recordHeads.recordId, recordId))).get();
}

async function loadHeads(tx: Tx, changes: WireChange[]): Promise<Map<string, RecordHead>> {
  const byEntity = new Map<string, Set<string>>();
  for (const c of changes) byEntity.set(c.entity, (byEntity.get(c.entity) ?? new Set()).add(c.recordId));
  const heads = new Map<string, RecordHead>();
  for (const [entity, ids] of byEntity)
    for (const chunk of chunks([...ids], 400))
      for (const head of await tx.select().from(recordHeads).where(and(eq(recordHeads.entity, entity), inArray(recordHeads.recordId, chunk))).all())
        heads.set(headKey(head.entity, head.recordId), head);
  return heads;
}

async function rowsById(tx: Tx, spec: EntitySpec, ids: string[]): Promise<Map<string, Row>> {
  const rows = (await tx.select().from(spec.table).where(inArray(spec.idColumn, ids)).all()) as Row[];
  return new Map(rows.map((r) => [r.id, r]));
}
