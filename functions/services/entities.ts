import type { z } from '@hono/zod-openapi';
import { eq } from 'drizzle-orm';
import { getTableColumns } from 'drizzle-orm';
import { getTableConfig, type SQLiteColumn, type SQLiteTable } from 'drizzle-orm/sqlite-core';
import type { Tx } from '../../db/database';
import { displayClients, firmwarePackages, licenses, terminalGroups, terminals, terminalServers } from '../../db/schema';
import { conflict, DomainError } from '../domain/errors';
import { LICENSE_ENTITY } from '../domain/license';
import { parseMac } from '../domain/mac';
import { displayClientInput, firmwarePackageInput, groupInput, terminalInput, terminalServerInput } from '../domain/record-inputs';
import { wouldCycle } from '../domain/resolve';
import { ensureDisplayClientUnused, ensureExist, ensureFirmwareUnused, ensureTerminalServerUnused } from './references';
import { loadCatalog } from './resolved-configs';
import type { WriteEffects } from './write-effects';

/** Every synchronised record: an id, a version, and when it was made and last changed. */
export type StoredRecord = { id: string; version: number; createdAt: string; updatedAt: string } & Record<string, unknown>;

/** What one kind of record is, and the rules every write to it passes (the API's, a revert's, a pulled change's). */
export interface EntitySpec<Row extends StoredRecord = StoredRecord> {
  /** The name changes carry: `terminal`, as in the change log and the audit events. */
  entity: string;
  table: SQLiteTable;
  idColumn: SQLiteColumn;
  /** The row properties the table stores. */
  columnKeys: string[];
  /** Each unique index as the row properties it covers (`[['mac'], ['name']]`). */
  uniqueKeys: string[][];
  /** What an admin may write; absent for records only the server itself writes (the licence). */
  input?: z.ZodObject;
  /** Normalises a create or update body before it is checked and stored (MAC spelling, …). */
  prepare?(input: Record<string, unknown>): Record<string, unknown>;
  /** Referential and structural rules on the row as it would be written. */
  validate?(tx: Tx, next: Row, previous: Row | null): Promise<void>;
  /** Refuses a delete that would leave dangling references. */
  ensureDeletable?(tx: Tx, row: Row): Promise<void>;
  /** What else a write to this record changes: boot documents, the pending list, the licence in effect. */
  effects(effects: WriteEffects, id: string, next: Row | null): void;
}

type Hooks<Row extends StoredRecord> = Omit<EntitySpec<Row>, 'table' | 'idColumn' | 'columnKeys' | 'uniqueKeys'>;

function defineEntity<Row extends StoredRecord>(table: SQLiteTable & { $inferSelect: Row }, hooks: Hooks<Row>): EntitySpec<Row> {
  const columns = getTableColumns(table) as Record<string, SQLiteColumn>;
  const propertyOf = new Map(Object.entries(columns).map(([key, column]) => [column.name, key]));
  const uniqueKeys = getTableConfig(table)
    .indexes.filter((index) => index.config.unique)
    .map((index) => index.config.columns.map((c) => propertyOf.get((c as SQLiteColumn).name)!));
  return { ...hooks, table, idColumn: columns.id, columnKeys: Object.keys(columns), uniqueKeys };
}

const inheritableReferences = async (tx: Tx, row: { firmwarePackageId: string | null; displayClientIds: string[] | null }) => {
  await ensureExist(tx, firmwarePackages, [row.firmwarePackageId], 'firmwarePackageId', 'firmware package');
  await ensureExist(tx, displayClients, row.displayClientIds, 'displayClientIds', 'display client');
};

const terminalServer = defineEntity(terminalServers, {
  entity: 'terminal-server',
  input: terminalServerInput,
  ensureDeletable: (tx, row) => ensureTerminalServerUnused(tx, row.id),
  effects: (effects) => effects.allTerminals(),
});

const displayClient = defineEntity(displayClients, {
  entity: 'display-client',
  input: displayClientInput,
  validate: async (tx, row) => {
    if (new Set(row.terminalServerIds).size !== row.terminalServerIds.length)
      throw new DomainError(400, 'invalid_field', 'terminalServerIds lists a server twice.', { field: 'terminalServerIds' });
    await ensureExist(tx, terminalServers, row.terminalServerIds, 'terminalServerIds', 'terminal server');
  },
  ensureDeletable: (tx, row) => ensureDisplayClientUnused(tx, row.id),
  effects: (effects) => effects.allTerminals(),
});

const firmwarePackage = defineEntity(firmwarePackages, {
  entity: 'firmware-package',
  input: firmwarePackageInput,
  ensureDeletable: (tx, row) => ensureFirmwareUnused(tx, row.id),
  effects: (effects) => effects.allTerminals(),
});

const group = defineEntity(terminalGroups, {
  entity: 'group',
  input: groupInput,
  validate: async (tx, row) => {
    await ensureExist(tx, terminalGroups, [row.parentId], 'parentId', 'group');
    if (row.parentId && wouldCycle(row.id, row.parentId, (await loadCatalog(tx)).groups))
      throw new DomainError(400, 'group_cycle', 'parentId would make the group its own ancestor.', { field: 'parentId' });
    await inheritableReferences(tx, row);
  },
  ensureDeletable: async (tx, row) => {
    const child = await tx.select({ id: terminalGroups.id }).from(terminalGroups).where(eq(terminalGroups.parentId, row.id)).get();
    const member = await tx.select({ id: terminals.id }).from(terminals).where(eq(terminals.groupId, row.id)).get();
    if (child || member) throw conflict('group_not_empty', 'The group still holds groups or terminals; move or delete them first.');
  },
  effects: (effects, id) => effects.groupTree(id),
});

const terminal = defineEntity(terminals, {
  entity: 'terminal',
  input: terminalInput,
  prepare: (input) => (typeof input.mac === 'string' ? { ...input, mac: parseMac(input.mac) } : input),
  validate: async (tx, row) => {
    await ensureExist(tx, terminalGroups, [row.groupId], 'groupId', 'group');
    await inheritableReferences(tx, row);
  },
  effects: (effects, id, next) => {
    if (!next) return effects.terminalGone(id);
    effects.terminal(id);
    // A terminal that is configured is no longer waiting in the pending list.
    effects.configured(next.mac);
  },
});

// The licence travels with the configuration (installed once, on either server); leases and the
// server's identity do not. Only the server writes it, after checking the licence file.
const license = defineEntity(licenses, {
  entity: LICENSE_ENTITY,
  effects: (effects) => effects.licenseChanged(),
});

/** The synchronised entities, in an order in which references point backwards. */
const registry = new Map<string, EntitySpec>(
  ([terminalServer, displayClient, firmwarePackage, group, terminal, license] as EntitySpec[]).map((spec) => [spec.entity, spec]),
);

export function entitySpec(entity: string): EntitySpec | undefined {
  return registry.get(entity);
}

/** The spec of an entity the caller knows exists. */
export function knownEntity(entity: string): EntitySpec {
  const spec = registry.get(entity);
  if (!spec) throw new Error(`no entity "${entity}"`);
  return spec;
}

export function entitySpecs(): EntitySpec[] {
  return [...registry.values()];
}

/** The stored columns of a record's state, as it travels in a change or a snapshot. */
export function pickColumns(spec: EntitySpec, state: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(spec.columnKeys.filter((k) => k in state).map((k) => [k, state[k]]));
}
