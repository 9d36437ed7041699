import { z } from '@hono/zod-openapi';
import { eq, getTableColumns } from 'drizzle-orm';
import { getTableConfig, type SQLiteColumn, type SQLiteTable } from 'drizzle-orm/sqlite-core';
import type { Tx } from '../../db/database';
import { displayClients, firmwarePackages, licenses, terminalGroups, terminals, terminalServers, tokenRevocations } from '../../db/schema';
import { conflict, DomainError } from '../domain/errors';
import { LICENSE_ENTITY, LICENSE_RECORD_ID } from '../domain/license';
import { ensureLicenseSupersedes } from '../domain/license-succession';
import { parseMac } from '../domain/mac';
import { displayClientInput, firmwarePackageInput, groupInput, terminalInput, terminalServerInput } from '../domain/record-inputs';
import { wouldCycle } from '../domain/resolve';
import { ensureDisplayClientUnused, ensureExist, ensureFirmwareUnused, ensureTerminalServerUnused, type ReferenceTarget, type WriteOrigin } from './references';
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
  /** The stored row, as a change or a snapshot from the peer must carry it. */
  row: z.ZodObject;
  /** Normalises a create or update body before it is checked and stored (MAC spelling, …). */
  prepare?(input: Record<string, unknown>): Record<string, unknown>;
  /** Referential and structural rules on the row as it would be written, made here or pulled from the peer. */
  validate?(tx: Tx, next: Row, previous: Row | null, origin: WriteOrigin): Promise<void>;
  /** Refuses a delete made here that would leave dangling references (a pulled delete converges instead). */
  ensureDeletable?(tx: Tx, row: Row): Promise<void>;
  /** Set when no write may delete this record, from here or from the peer: why. */
  neverDeleted?: string;
  /** What else a write to this record changes: boot documents, the pending list, the licence in effect. */
  effects(effects: WriteEffects, id: string, next: Row | null): void;
}

type Hooks<Row extends StoredRecord> = Omit<EntitySpec<Row>, 'table' | 'idColumn' | 'columnKeys' | 'uniqueKeys' | 'row'> & { row?: z.ZodObject };

/** What every synchronised record carries besides its own fields. */
const recordFields = {
  id: z.string().min(1).max(64),
  version: z.number().int().min(1),
  createdAt: z.iso.datetime({ offset: true }),
  updatedAt: z.iso.datetime({ offset: true }),
};

function defineEntity<Row extends StoredRecord>(table: SQLiteTable & { $inferSelect: Row }, hooks: Hooks<Row>): EntitySpec<Row> {
  const columns = getTableColumns(table) as Record<string, SQLiteColumn>;
  const propertyOf = new Map(Object.entries(columns).map(([key, column]) => [column.name, key]));
  const uniqueKeys = getTableConfig(table)
    .indexes.filter((index) => index.config.unique)
    .map((index) => index.config.columns.map((c) => propertyOf.get((c as SQLiteColumn).name)!));
  const row = hooks.row ?? hooks.input!.extend(recordFields).strict();
  return { ...hooks, row, table, idColumn: columns.id, columnKeys: Object.keys(columns), uniqueKeys };
}

const targets = {
  terminalServer: { table: terminalServers, entity: 'terminal-server', label: 'terminal server' },
  displayClient: { table: displayClients, entity: 'display-client', label: 'display client' },
  firmwarePackage: { table: firmwarePackages, entity: 'firmware-package', label: 'firmware package' },
  group: { table: terminalGroups, entity: 'group', label: 'group' },
} satisfies Record<string, ReferenceTarget>;

const inheritableReferences = async (tx: Tx, row: { firmwarePackageId: string | null; displayClientIds: string[] | null }, origin: WriteOrigin) => {
  await ensureExist(tx, targets.firmwarePackage, [row.firmwarePackageId], 'firmwarePackageId', origin);
  await ensureExist(tx, targets.displayClient, row.displayClientIds, 'displayClientIds', origin);
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
  validate: async (tx, row, _previous, origin) => {
    if (new Set(row.terminalServerIds).size !== row.terminalServerIds.length)
      throw new DomainError(400, 'invalid_field', 'terminalServerIds lists a server twice.', { field: 'terminalServerIds' });
    await ensureExist(tx, targets.terminalServer, row.terminalServerIds, 'terminalServerIds', origin);
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
  validate: async (tx, row, _previous, origin) => {
    await ensureExist(tx, targets.group, [row.parentId], 'parentId', origin);
    // Two moves made at the same time on the two servers may close a loop that neither made
    // alone; the pulled one is applied so that both converge (resolution stops at a loop).
    if (origin === 'local' && row.parentId && wouldCycle(row.id, row.parentId, (await loadCatalog(tx)).groups))
      throw new DomainError(400, 'group_cycle', 'parentId would make the group its own ancestor.', { field: 'parentId' });
    await inheritableReferences(tx, row, origin);
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
  validate: async (tx, row, _previous, origin) => {
    if (parseMac(row.mac) !== row.mac) throw new DomainError(400, 'invalid_mac', `mac "${row.mac}" is not in the stored form aa:bb:cc:dd:ee:ff.`, { field: 'mac' });
    await ensureExist(tx, targets.group, [row.groupId], 'groupId', origin);
    await inheritableReferences(tx, row, origin);
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
  row: z
    .object({ ...recordFields, id: z.literal(LICENSE_RECORD_ID), licenseId: z.string().min(1).max(128), file: z.string().min(2).max(64 * 1024) })
    .strict(),
  validate: async (_tx, next, previous) => ensureLicenseSupersedes(previous?.file ?? null, next.file),
  neverDeleted: 'A licence is replaced only by installing a newer licence file (PUT /api/v1/license); it is never deleted.',
  effects: (effects) => effects.licenseChanged(),
});

// A revocation travels to the peer and revokes the same token there; only the server writes it,
// when an admin revokes a token.
const tokenRevocation = defineEntity(tokenRevocations, {
  entity: 'token-revocation',
  row: z.object({ ...recordFields, tokenHash: z.string().regex(/^[0-9a-f]{64}$/), name: z.string().min(1).max(100) }).strict(),
  neverDeleted: 'A revoked token stays revoked; create a new token instead.',
  effects: (effects, _id, next) => {
    if (next) effects.tokenRevoked(next.tokenHash, next.createdAt);
  },
});

/** The synchronised entities, in an order in which references point backwards. */
const registry = new Map<string, EntitySpec>(
  ([terminalServer, displayClient, firmwarePackage, group, terminal, license, tokenRevocation] as EntitySpec[]).map((spec) => [spec.entity, spec]),
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

/** Refuses a delete of a record that is never deleted (the licence). */
export function ensureMayDelete(spec: EntitySpec): void {
  if (spec.neverDeleted) throw new DomainError(409, 'record_not_deletable', spec.neverDeleted, { entity: spec.entity });
}

/**
 * A record's state as the peer sent it, checked against the same schema an API write passes:
 * the stored columns, valid values, nothing else.
 */
export function parseRow(spec: EntitySpec, state: Record<string, unknown>): StoredRecord {
  const parsed = spec.row.safeParse(pickColumns(spec, state));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue.path.map(String).join('.') || '(record)';
    throw new DomainError(400, 'invalid_field', `${spec.entity} ${String(state.id)}: ${field}: ${issue.message}`, { field });
  }
  return parsed.data as StoredRecord;
}

/** The stored columns of a record's state, as it travels in a change or a snapshot. */
export function pickColumns(spec: EntitySpec, state: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(spec.columnKeys.filter((k) => k in state).map((k) => [k, state[k]]));
}
