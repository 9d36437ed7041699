import { and, eq, inArray, ne } from 'drizzle-orm';
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core';
import type { Tx } from '../../db/database';
import { changeLog, pendingTerminals, recordHeads, syncConflicts, type RecordHead } from '../../db/schema';
import { parseHlc } from '../domain/hlc';
import { appliesIncoming, conflictPairKey, decideIncoming, uniqueKeeper, type MergeDecision } from '../domain/merge';
import { recordAudit } from '../services/audit';
import { setHead } from '../services/change-log';
import { forgetResolvedConfig, refreshResolvedConfigs } from '../services/resolved-configs';
import { syncedEntity, type SyncedEntity } from './entities';
import type { WireChange } from './wire';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Row = Record<string, any> & { id: string; createdAt: string };

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

/** What applying one change did, kept aside until its savepoint is released. */
interface Effects {
  heads: RecordHead[];
  terminalIds: string[];
  forgetTerminalIds: string[];
  all: boolean;
  conflicts: number;
  status: 'applied' | 'superseded';
}

const headKey = (entity: string, recordId: string) => `${entity}\u0000${recordId}`;
const SYSTEM_ACTOR = 'system:sync';

/**
 * Applies a batch of changes pulled from the peer, in the caller's transaction
 * (which also advances the cursor). A change already in the log is skipped, so a
 * batch applied twice changes nothing. A change that cannot be applied is
 * recorded as failed, with its error, and the batch goes on. The pre-resolved
 * boot documents of the terminals concerned are refreshed at the end.
 */
export async function applyChanges(tx: Tx, ctx: ApplyContext, changes: WireChange[]): Promise<ApplyOutcome> {
  const outcome: ApplyOutcome = { applied: 0, superseded: 0, duplicates: 0, failed: 0, conflicts: 0 };
  if (!changes.length) return outcome;

  const known = new Set<string>();
  for (const chunk of chunks(changes.map((c) => c.changeId)))
    for (const row of await tx.select({ id: changeLog.changeId }).from(changeLog).where(inArray(changeLog.changeId, chunk)).all()) known.add(row.id);
  const heads = await loadHeads(tx, changes);

  const terminalIds = new Set<string>();
  const forget = new Set<string>();
  let all = false;
  const receivedAt = ctx.at.toISOString();

  for (const change of changes) {
    if (known.has(change.changeId)) {
      outcome.duplicates++;
      continue;
    }
    known.add(change.changeId);
    try {
      const effects = await tx.transaction((sp) => applyOne(sp as Tx, ctx, change, heads.get(headKey(change.entity, change.recordId)) ?? null, heads));
      for (const head of effects.heads) heads.set(headKey(head.entity, head.recordId), head);
      effects.terminalIds.forEach((id) => terminalIds.add(id));
      effects.forgetTerminalIds.forEach((id) => forget.add(id));
      all ||= effects.all;
      outcome.conflicts += effects.conflicts;
      outcome[effects.status]++;
    } catch (err) {
      outcome.failed++;
      const error = String((err as Error)?.message ?? err).slice(0, 2000);
      await tx.insert(changeLog).values({ ...logFields(change), receivedAt, status: 'failed', error });
      await recordAudit(tx, ctx.serverId, ctx.at, {
        actor: SYSTEM_ACTOR,
        action: 'sync.apply_failed',
        entity: change.entity,
        entityId: change.recordId,
        after: { changeId: change.changeId, origin: change.origin, error },
      });
    }
  }

  for (const id of forget) await forgetResolvedConfig(tx, id);
  await refreshResolvedConfigs(tx, all ? 'all' : { terminalIds: [...terminalIds] });
  return outcome;
}

async function applyOne(tx: Tx, ctx: ApplyContext, change: WireChange, head: RecordHead | null, heads: Map<string, RecordHead>): Promise<Effects> {
  const spec = syncedEntity(change.entity);
  if (!spec) throw new Error(`This server does not know the entity "${change.entity}".`);
  parseHlc(change.hlc);
  if (change.after && change.after.id !== change.recordId) throw new Error(`The change's state names record ${String(change.after.id)}, not ${change.recordId}.`);

  const effects: Effects = { heads: [], terminalIds: [], forgetTerminalIds: [], all: false, conflicts: 0, status: 'applied' };
  const decision = decideIncoming(head, change);
  const receivedAt = ctx.at.toISOString();
  if (decision.kind === 'duplicate') {
    // The record is already at this change (copied with a snapshot): keep it in the history only.
    await tx.insert(changeLog).values({ ...logFields(change), receivedAt, status: 'applied' });
    return effects;
  }

  const local = decision.kind === 'conflict' ? await currentRow(tx, spec, change.recordId) : null;
  const markTouched = (id: string, deleted: boolean) => {
    if (spec.entity !== 'terminal') effects.all = true;
    else if (deleted) effects.forgetTerminalIds.push(id);
    else effects.terminalIds.push(id);
  };

  if (appliesIncoming(decision)) {
    let deleted = change.after == null;
    if (change.after == null) {
      await tx.delete(spec.table).where(eq(spec.idColumn, change.recordId));
    } else {
      const lost = await settleUniqueClaims(tx, ctx, spec, change, heads, effects);
      if (lost) {
        deleted = true;
        await tx.delete(spec.table).where(eq(spec.idColumn, change.recordId));
      } else {
        const row = Object.fromEntries(spec.columnKeys.filter((k) => k in change.after!).map((k) => [k, change.after![k]]));
        const { id: _id, ...rest } = row;
        await tx.insert(spec.table).values(row).onConflictDoUpdate({ target: spec.idColumn, set: rest });
        if (spec.entity === 'terminal' && typeof change.after.mac === 'string')
          await tx.delete(pendingTerminals).where(eq(pendingTerminals.mac, change.after.mac));
      }
    }
    markTouched(change.recordId, deleted);
    const next = { entity: change.entity, recordId: change.recordId, changeId: change.changeId, hlc: change.hlc, origin: change.origin, deleted };
    await setHead(tx, next);
    effects.heads.push(next);
  } else {
    effects.status = 'superseded';
  }

  if (decision.kind === 'conflict') {
    await recordConcurrentConflict(tx, ctx, change, head!, local, decision);
    effects.conflicts++;
  }
  await tx.insert(changeLog).values({ ...logFields(change), receivedAt, status: effects.status });
  return effects;
}

/**
 * Another record here holds a unique value (MAC, name) the incoming state claims:
 * the record created first keeps it, on both servers (`uniqueKeeper`). Returns
 * true when the incoming record is the one that gives way.
 */
async function settleUniqueClaims(tx: Tx, ctx: ApplyContext, spec: SyncedEntity, change: WireChange, heads: Map<string, RecordHead>, effects: Effects): Promise<boolean> {
  const after = change.after as Row;
  const columns = (spec.table as any) as Record<string, SQLiteColumn>;
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
    const incomingKeeps = uniqueKeeper(holder, { id: change.recordId, createdAt: String(after.createdAt) }).id === change.recordId;
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
      effects.conflicts++;
      await recordAudit(tx, ctx.serverId, ctx.at, {
        actor: SYSTEM_ACTOR,
        action: 'sync.conflict',
        entity: spec.entity,
        entityId: loserId,
        before: holder,
        after: { kind: 'unique', field, value, keeperId, loserId },
      });
    }
    if (!incomingKeeps) return true;

    await tx.delete(spec.table).where(eq(spec.idColumn, holder.id));
    if (spec.entity === 'terminal') effects.forgetTerminalIds.push(holder.id);
    else effects.all = true;
    if (holderHead) {
      const tombstone = { ...holderHead, deleted: true };
      await setHead(tx, tombstone);
      effects.heads.push(tombstone);
    }
  }
  return false;
}

async function recordConcurrentConflict(tx: Tx, ctx: ApplyContext, change: WireChange, head: RecordHead, local: Row | null, decision: Extract<MergeDecision, { kind: 'conflict' }>): Promise<void> {
  const incomingWins = decision.winner === 'incoming';
  const winner = incomingWins ? { changeId: change.changeId, origin: change.origin, hlc: change.hlc } : head;
  const what = (state: unknown) => (state == null ? 'delete' : 'update');
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
  if (inserted.length)
    await recordAudit(tx, ctx.serverId, ctx.at, {
      actor: SYSTEM_ACTOR,
      action: 'sync.conflict',
      entity: change.entity,
      entityId: change.recordId,
      before: local,
      after: change.after,
    });
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

async function currentRow(tx: Tx, spec: SyncedEntity, id: string): Promise<Row | null> {
  return ((await tx.select().from(spec.table).where(eq(spec.idColumn, id)).get()) as Row | undefined) ?? null;
}

async function loadHead(tx: Tx, entity: string, recordId: string): Promise<RecordHead | undefined> {
  return tx.select().from(recordHeads).where(and(eq(recordHeads.entity, entity), eq(recordHeads.recordId, recordId))).get();
}

async function loadHeads(tx: Tx, changes: WireChange[]): Promise<Map<string, RecordHead>> {
  const byEntity = new Map<string, Set<string>>();
  for (const c of changes) byEntity.set(c.entity, (byEntity.get(c.entity) ?? new Set()).add(c.recordId));
  const heads = new Map<string, RecordHead>();
  for (const [entity, ids] of byEntity)
    for (const chunk of chunks([...ids]))
      for (const head of await tx.select().from(recordHeads).where(and(eq(recordHeads.entity, entity), inArray(recordHeads.recordId, chunk))).all())
        heads.set(headKey(head.entity, head.recordId), head);
  return heads;
}

function chunks<T>(items: T[], size = 400): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
