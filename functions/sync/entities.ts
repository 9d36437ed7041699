import { getTableColumns } from 'drizzle-orm';
import { getTableConfig, type SQLiteColumn, type SQLiteTableWithColumns } from 'drizzle-orm/sqlite-core';
import { displayClients, firmwarePackages, licenses, terminalGroups, terminals, terminalServers } from '../../db/schema';

/* eslint-disable @typescript-eslint/no-explicit-any */
export type SyncedTable = SQLiteTableWithColumns<any>;

export interface SyncedEntity {
  /** The name changes carry: `terminal`, as in the change log and the audit events. */
  entity: string;
  table: SyncedTable;
  idColumn: SQLiteColumn;
  /** The row properties the table stores. */
  columnKeys: string[];
  /** Each unique index as the row properties it covers (`[['mac'], ['name']]`). */
  uniqueKeys: string[][];
}

const registry = new Map<string, SyncedEntity>();

/**
 * Makes an entity's records travel between the servers of a pair. Every record
 * has a UUID `id`, `version`, `createdAt` and `updatedAt`, and every write to it
 * goes through `recordChange`.
 */
export function registerSyncedEntity(entity: string, table: SyncedTable): void {
  const columns = getTableColumns(table) as Record<string, SQLiteColumn>;
  const propertyOf = new Map(Object.entries(columns).map(([key, column]) => [column.name, key]));
  const uniqueKeys = getTableConfig(table)
    .indexes.filter((index) => index.config.unique)
    .map((index) => index.config.columns.map((c) => propertyOf.get((c as SQLiteColumn).name)!));
  registry.set(entity, { entity, table, idColumn: columns.id, columnKeys: Object.keys(columns), uniqueKeys });
}

registerSyncedEntity('terminal-server', terminalServers);
registerSyncedEntity('display-client', displayClients);
registerSyncedEntity('firmware-package', firmwarePackages);
registerSyncedEntity('group', terminalGroups);
registerSyncedEntity('terminal', terminals);
// The licence travels with the configuration (installed once, on either server); leases and the server's identity do not.
registerSyncedEntity('license', licenses);

export function syncedEntity(entity: string): SyncedEntity | undefined {
  return registry.get(entity);
}

export function syncedEntities(): SyncedEntity[] {
  return [...registry.values()];
}
