import { asc, eq } from 'drizzle-orm';
import type { Database, Orm } from '../../../db/database';
import { Fresh } from './memo';
import { apiTokens, displayClients, firmwarePackages, terminalGroups, terminalServers } from '../../../db/schema';

/** Groups as the tree, the selects and the filters need them. */
export const groupChoices = (orm: Orm) => orm.select({ id: terminalGroups.id, name: terminalGroups.name, parentId: terminalGroups.parentId }).from(terminalGroups).all();

export const firmwareChoices = (orm: Orm) =>
  orm
    .select({ id: firmwarePackages.id, name: firmwarePackages.name, packageVersion: firmwarePackages.packageVersion })
    .from(firmwarePackages)
    .orderBy(asc(firmwarePackages.name), asc(firmwarePackages.packageVersion))
    .all();

/** What the configuration forms offer to choose from. */
export interface Choices {
  groups: Awaited<ReturnType<typeof groupChoices>>;
  displayClients: { id: string; name: string }[];
  firmware: Awaited<ReturnType<typeof firmwareChoices>>;
  terminalServers: { id: string; name: string; host: string; port: number; enabled: boolean }[];
}

export async function readChoices(orm: Orm): Promise<Choices> {
  const [groups, clients, firmware, servers] = await Promise.all([
    groupChoices(orm),
    orm.select({ id: displayClients.id, name: displayClients.name }).from(displayClients).orderBy(asc(displayClients.name)).all(),
    firmwareChoices(orm),
    orm
      .select({ id: terminalServers.id, name: terminalServers.name, host: terminalServers.host, port: terminalServers.port, enabled: terminalServers.enabled })
      .from(terminalServers)
      .orderBy(asc(terminalServers.name))
      .all(),
  ]);
  return { groups, displayClients: clients, firmware, terminalServers: servers };
}

/** The names of this server's relay tokens: the relays a terminal can have booted from. */
export async function relayNames(orm: Orm): Promise<string[]> {
  const rows = await orm.select({ name: apiTokens.name }).from(apiTokens).where(eq(apiTokens.role, 'relay')).orderBy(asc(apiTokens.name)).all();
  return rows.map((r) => r.name);
}

/** What the terminal list filters by: groups, firmware packages, relays. */
export interface ListChoices {
  groups: Awaited<ReturnType<typeof groupChoices>>;
  firmware: Awaited<ReturnType<typeof firmwareChoices>>;
  relays: string[];
}

/**
 * The terminal list's choices of one app, read again after any write this process commits
 * (configuration, boot documents, tokens), or after a few seconds (other writers of a shared
 * database): every page of the list needs them, and they rarely change.
 */
export function listChoices(db: Database): Fresh<ListChoices> {
  const fresh = new Fresh(5_000, async () => {
    const [groups, firmware, relays] = await Promise.all([groupChoices(db.orm), firmwareChoices(db.orm), relayNames(db.orm)]);
    return { groups, firmware, relays };
  });
  for (const topic of ['configuration', 'boot-documents', 'tokens'] as const) db.onCommitted(topic, () => fresh.drop());
  return fresh;
}
