import { asc, eq } from 'drizzle-orm';
import type { Orm } from '../../../db/database';
import { apiTokens, displayClients, firmwarePackages, terminalGroups, terminalServers, type TerminalGroup } from '../../../db/schema';

/** What the configuration forms offer to choose from. */
export interface Choices {
  groups: TerminalGroup[];
  displayClients: { id: string; name: string }[];
  firmware: { id: string; name: string; packageVersion: string }[];
  terminalServers: { id: string; name: string; host: string; port: number; enabled: boolean }[];
}

export async function readChoices(orm: Orm): Promise<Choices> {
  const [groups, clients, firmware, servers] = await Promise.all([
    orm.select().from(terminalGroups).all(),
    orm.select({ id: displayClients.id, name: displayClients.name }).from(displayClients).orderBy(asc(displayClients.name)).all(),
    orm.select({ id: firmwarePackages.id, name: firmwarePackages.name, packageVersion: firmwarePackages.packageVersion }).from(firmwarePackages).orderBy(asc(firmwarePackages.name), asc(firmwarePackages.packageVersion)).all(),
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
