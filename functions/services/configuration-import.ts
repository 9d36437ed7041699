import type { Orm, Tx } from '../../db/database';
import { canonicalJson } from '../domain/canonical-json';
import { conflict, DomainError } from '../domain/errors';
import { recordAudit } from './audit';
import { CONFIGURED_ENTITIES, type ConfigurationDocument, type ConfiguredEntity, type ConfigurationRecords } from './configuration-export';
import { knownEntity, type StoredRecord } from './entities';
import type { ChangeContext } from './record-change';
import { WriteEffects } from './write-effects';
import { writeRecord } from './write-record';

/** A record as a person finds it again: its id and its name (a terminal's MAC too). */
export interface RecordRef {
  id: string;
  label: string;
}

/** What importing a document would do to one kind of record here. */
export interface EntityDiff {
  add: RecordRef[];
  change: (RecordRef & { fields: string[] })[];
  remove: RecordRef[];
  unchanged: number;
  /** Records to add whose name or MAC another record here already holds: an import would be refused. */
  clashes: (RecordRef & { field: string; heldBy: string })[];
}

export interface ImportPlan {
  /** True when this server has no configured record: the document may be imported. */
  empty: boolean;
  source: ConfigurationDocument['source'];
  entities: Record<ConfiguredEntity, EntityDiff>;
}

/** Fields a copy may differ in and still hold the same configuration. */
const BOOKKEEPING = new Set(['version', 'createdAt', 'updatedAt']);

const labelOf = (entity: string, row: StoredRecord) => (entity === 'terminal' ? `${String(row.mac)} ${String(row.name)}` : String(row.name ?? row.id));
const value = (row: StoredRecord, key: string) => canonicalJson(row[key] ?? null);

/** Every configured record this server holds, by entity. */
async function currentRecords(db: Orm | Tx): Promise<ConfigurationRecords> {
  const out = {} as ConfigurationRecords;
  for (const entity of CONFIGURED_ENTITIES) out[entity] = (await db.select().from(knownEntity(entity).table).all()) as StoredRecord[];
  return out;
}

/**
 * The difference between a document and this server's configuration, record by record (matched
 * by id): what would be added, changed (which fields), removed, and which additions would clash
 * with a name or MAC held here by another record. Pure over the two sets of records.
 */
export function diffConfiguration(doc: ConfigurationDocument, here: ConfigurationRecords): ImportPlan {
  const entities = {} as ImportPlan['entities'];
  let empty = true;
  for (const entity of CONFIGURED_ENTITIES) {
    const spec = knownEntity(entity);
    const mine = new Map(here[entity].map((row) => [row.id, row]));
    if (mine.size) empty = false;
    const incoming = new Set(doc.records[entity].map((row) => row.id));
    const diff: EntityDiff = { add: [], change: [], remove: [], unchanged: 0, clashes: [] };
    // Who holds each name or MAC here, among the records the document does not carry itself.
    const keyOf = (key: string[], row: StoredRecord) => key.map((k) => value(row, k)).join('\u0000');
    const holders = spec.uniqueKeys.map((key) => new Map(here[entity].filter((row) => !incoming.has(row.id)).map((row) => [keyOf(key, row), row.id])));
    for (const row of doc.records[entity]) {
      const current = mine.get(row.id);
      const ref = { id: row.id, label: labelOf(entity, row) };
      if (!current) {
        diff.add.push(ref);
        spec.uniqueKeys.forEach((key, i) => {
          const heldBy = holders[i].get(keyOf(key, row));
          if (heldBy) diff.clashes.push({ ...ref, field: key.join('+'), heldBy });
        });
        continue;
      }
      const fields = spec.columnKeys.filter((k) => !BOOKKEEPING.has(k) && value(current, k) !== value(row, k));
      if (fields.length) diff.change.push({ ...ref, fields });
      else diff.unchanged++;
    }
    for (const row of here[entity]) if (!incoming.has(row.id)) diff.remove.push({ id: row.id, label: labelOf(entity, row) });
    entities[entity] = diff;
  }
  return { empty, source: doc.source, entities };
}

/** What importing `doc` would change here, read in the caller's transaction (or straight). */
export async function planImport(db: Orm | Tx, doc: ConfigurationDocument): Promise<ImportPlan> {
  return diffConfiguration(doc, await currentRecords(db));
}

/** Groups ordered so that each comes after its parent; a loop cannot be ordered and is refused. */
export function parentsFirst(groups: StoredRecord[]): StoredRecord[] {
  const byId = new Map(groups.map((g) => [g.id, g]));
  const ordered: StoredRecord[] = [];
  const placed = new Set<string>();
  const visiting = new Set<string>();
  const place = (group: StoredRecord) => {
    if (placed.has(group.id)) return;
    if (visiting.has(group.id)) throw new DomainError(400, 'group_cycle', `Group ${group.id} (${String(group.name)}) is its own ancestor in the document.`, { id: group.id });
    visiting.add(group.id);
    const parent = typeof group.parentId === 'string' ? byId.get(group.parentId) : undefined;
    if (parent) place(parent);
    visiting.delete(group.id);
    placed.add(group.id);
    ordered.push(group);
  };
  for (const group of groups) place(group);
  return ordered;
}

/**
 * Writes every record of the document into this server, which must hold no configuration yet,
 * in the caller's (one) transaction: each record through the one write path (`writeRecord`:
 * the entity's rules, boot documents resolved, change log, audit), in dependency order. Any
 * refusal leaves nothing written. Returns how many records of each kind were written.
 */
export async function importConfiguration(tx: Tx, ctx: ChangeContext, doc: ConfigurationDocument): Promise<Record<ConfiguredEntity, number>> {
  const plan = await planImport(tx, doc);
  if (!plan.empty)
    throw conflict('configuration_not_empty', 'This server already holds configuration: import into an empty server, or compare with a dry run (`tandem import --dry-run`).', {
      summary: summarise(plan),
    });
  const written = {} as Record<ConfiguredEntity, number>;
  // Boot documents are resolved once, after the last record, rather than after each.
  const effects = new WriteEffects();
  for (const entity of CONFIGURED_ENTITIES) {
    const rows = entity === 'group' ? parentsFirst(doc.records.group) : doc.records[entity];
    for (const row of rows) await writeRecord(tx, ctx, { entity, id: row.id, previous: null, next: row }, effects);
    written[entity] = rows.length;
  }
  await effects.apply(tx);
  await recordAudit(tx, ctx.serverId, ctx.at, {
    actor: ctx.actor,
    action: 'configuration.import',
    entity: 'configuration',
    entityId: doc.source.serverId,
    after: { source: doc.source, exportedAt: doc.exportedAt, records: written },
  });
  return written;
}

/** Counts per entity, as a person reads a plan at a glance. */
export function summarise(plan: ImportPlan): Record<ConfiguredEntity, { add: number; change: number; remove: number; unchanged: number; clashes: number }> {
  return Object.fromEntries(
    CONFIGURED_ENTITIES.map((e) => {
      const d = plan.entities[e];
      return [e, { add: d.add.length, change: d.change.length, remove: d.remove.length, unchanged: d.unchanged, clashes: d.clashes.length }];
    }),
  ) as ReturnType<typeof summarise>;
}
