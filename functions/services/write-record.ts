import { eq } from 'drizzle-orm';
import type { Orm, Tx } from '../../db/database';
import type { ChangeLogEntry } from '../../db/schema';
import { notFound } from '../domain/errors';
import { ensureMayDelete, knownEntity, type EntitySpec, type StoredRecord } from './entities';
import { recordChange, type ChangeContext } from './record-change';
import { WriteEffects } from './write-effects';

/** One write to one record: its state before (null: it is created) and after (null: it is deleted). */
export interface RecordWrite {
  entity: string;
  id: string;
  previous: StoredRecord | null;
  next: StoredRecord | null;
  /** The change this write undoes (`POST /api/v1/changes/{id}/revert`). */
  revertOf?: string;
}

export interface WrittenRecord {
  record: StoredRecord | null;
  change: ChangeLogEntry;
}

/** Checks the version a caller last read (If-Match), given the record's current one. */
export type VersionCheck = (currentVersion: number) => void;

/**
 * The one write path of configuration made on this server, inside the caller's transaction:
 * the entity's rules, the row, what else it changes (boot documents, pending terminals, the
 * licence in effect), then its change-log entry and audit event. The API, a revert and the
 * licence install all come through here; changes pulled from the peer keep the peer's change
 * entry and pass the same rules and effects in `sync/apply.ts`.
 *
 * A caller writing many records in one transaction (a configuration import) may pass one
 * `batch` of effects and carry it out once, after the last write, as a pulled batch does.
 */
export async function writeRecord(tx: Tx, ctx: ChangeContext, write: RecordWrite, batch?: WriteEffects): Promise<WrittenRecord> {
  const spec = knownEntity(write.entity);
  const { id, previous, next } = write;
  if (next) await spec.validate?.(tx, next, previous, 'local');
  else if (previous) {
    ensureMayDelete(spec);
    await spec.ensureDeletable?.(tx, previous);
  }
  const record = await storeRow(tx, spec, id, previous, next);
  const effects = batch ?? new WriteEffects();
  spec.effects(effects, id, record);
  if (!batch) await effects.apply(tx);
  const operation = !previous ? 'create' : next ? 'update' : 'delete';
  const change = await recordChange(tx, ctx, { entity: spec.entity, id, operation, before: previous, after: record, revertOf: write.revertOf });
  return { record, change };
}

async function storeRow(tx: Tx, spec: EntitySpec, id: string, previous: StoredRecord | null, next: StoredRecord | null): Promise<StoredRecord | null> {
  if (!next) {
    await tx.delete(spec.table).where(eq(spec.idColumn, id));
    return null;
  }
  const [written] = previous
    ? await tx.update(spec.table).set(next).where(eq(spec.idColumn, id)).returning()
    : await tx.insert(spec.table).values(next).returning();
  return written as StoredRecord;
}

export async function findRecord(tx: Tx | Orm, spec: EntitySpec, id: string): Promise<StoredRecord | null> {
  return ((await tx.select().from(spec.table).where(eq(spec.idColumn, id)).get()) as StoredRecord | undefined) ?? null;
}

async function loadRecord(tx: Tx, spec: EntitySpec, id: string): Promise<StoredRecord> {
  const row = await findRecord(tx, spec, id);
  if (!row) throw notFound(spec.entity, id);
  return row;
}

/** Creates a record from an admin's validated input. */
export async function createRecord(tx: Tx, ctx: ChangeContext, entity: string, input: Record<string, unknown>): Promise<StoredRecord> {
  const spec = knownEntity(entity);
  const at = ctx.at.toISOString();
  const fields = spec.prepare ? spec.prepare(input) : input;
  const next: StoredRecord = { ...fields, id: crypto.randomUUID(), version: 1, createdAt: at, updatedAt: at };
  return (await writeRecord(tx, ctx, { entity, id: next.id, previous: null, next })).record!;
}

/** Applies an admin's validated patch to a record at the version they read. */
export async function updateRecord(tx: Tx, ctx: ChangeContext, entity: string, id: string, patch: Record<string, unknown>, checkVersion: VersionCheck): Promise<StoredRecord> {
  const spec = knownEntity(entity);
  const previous = await loadRecord(tx, spec, id);
  checkVersion(previous.version);
  const fields = spec.prepare ? spec.prepare(patch) : patch;
  const next: StoredRecord = { ...previous, ...fields, id, version: previous.version + 1, createdAt: previous.createdAt, updatedAt: ctx.at.toISOString() };
  return (await writeRecord(tx, ctx, { entity, id, previous, next })).record!;
}

export async function deleteRecord(tx: Tx, ctx: ChangeContext, entity: string, id: string, checkVersion: VersionCheck): Promise<void> {
  const spec = knownEntity(entity);
  const previous = await loadRecord(tx, spec, id);
  checkVersion(previous.version);
  await writeRecord(tx, ctx, { entity, id, previous, next: null });
}
