import type { DisplayClient, FirmwarePackage, Terminal, TerminalGroup, TerminalServer } from '../../db/schema';
import type { BootDocument, BootDisplayClient } from './boot-document';

/** Everything a terminal's configuration can refer to, by id. */
export interface Catalog {
  groups: Map<string, TerminalGroup>;
  displayClients: Map<string, DisplayClient>;
  terminalServers: Map<string, TerminalServer>;
  firmware: Map<string, FirmwarePackage>;
}

type Inheritable = Pick<Terminal, 'hardwareModel' | 'videoResolution' | 'firmwarePackageId' | 'displayClientIds' | 'options'>;

/** The group chain of a group, nearest first; a cycle (which writes refuse) ends the chain. */
export function groupChain(groupId: string | null, groups: Map<string, TerminalGroup>): TerminalGroup[] {
  const chain: TerminalGroup[] = [];
  const seen = new Set<string>();
  for (let id = groupId; id && !seen.has(id); ) {
    const group = groups.get(id);
    if (!group) break;
    seen.add(id);
    chain.push(group);
    id = group.parentId;
  }
  return chain;
}

/** True when making `parentId` the parent of `groupId` would close a loop. */
export function wouldCycle(groupId: string, parentId: string | null, groups: Map<string, TerminalGroup>): boolean {
  return groupChain(parentId, groups).some((g) => g.id === groupId);
}

/**
 * A terminal's effective settings: each setting it leaves unset (null) comes from
 * the nearest group in its chain that sets it. Options merge key by key, the
 * nearest value winning.
 */
export function inheritSettings(terminal: Inheritable, chain: Inheritable[]): Inheritable {
  const levels = [terminal, ...chain];
  const first = <K extends keyof Inheritable>(key: K): Inheritable[K] => {
    for (const level of levels) if (level[key] !== null && level[key] !== undefined) return level[key];
    return null as Inheritable[K];
  };
  const options: Record<string, unknown> = {};
  for (const level of [...levels].reverse()) Object.assign(options, level.options ?? {});
  return {
    hardwareModel: first('hardwareModel'),
    videoResolution: first('videoResolution'),
    firmwarePackageId: first('firmwarePackageId'),
    displayClientIds: first('displayClientIds'),
    options,
  };
}

function expandDisplayClient(client: DisplayClient, catalog: Catalog): BootDisplayClient {
  const terminalServers = client.terminalServerIds
    .map((id) => catalog.terminalServers.get(id))
    .filter((s): s is TerminalServer => !!s && s.enabled)
    .map((s) => ({ id: s.id, name: s.name, host: s.host, port: s.port }));
  return {
    id: client.id,
    name: client.name,
    type: client.type,
    settings: client.settings,
    failoverMode: client.failoverMode,
    terminalServers,
  };
}

/** The boot document of a terminal, without its version (a digest of the rest). */
export function resolveTerminalConfig(terminal: Terminal, catalog: Catalog): Omit<BootDocument, 'configVersion'> {
  const chain = groupChain(terminal.groupId, catalog.groups);
  const settings = inheritSettings(terminal, chain);
  const fw = settings.firmwarePackageId ? catalog.firmware.get(settings.firmwarePackageId) : undefined;
  return {
    mac: terminal.mac,
    terminalId: terminal.id,
    name: terminal.name,
    groupPath: chain.map((g) => g.name),
    hardwareModel: settings.hardwareModel,
    videoResolution: settings.videoResolution,
    firmware: fw
      ? { id: fw.id, name: fw.name, version: fw.packageVersion, objectKey: fw.objectKey, sha256: fw.sha256, size: fw.size }
      : null,
    displayClients: (settings.displayClientIds ?? [])
      .map((id) => catalog.displayClients.get(id))
      .filter((d): d is DisplayClient => !!d)
      .map((d) => expandDisplayClient(d, catalog)),
    options: settings.options ?? {},
  };
}

/** The ids of a group and every group below it. */
export function subtreeOf(groupId: string, groups: Iterable<Pick<TerminalGroup, 'id' | 'parentId'>>): Set<string> {
  const children = new Map<string, string[]>();
  for (const g of groups) if (g.parentId) children.set(g.parentId, [...(children.get(g.parentId) ?? []), g.id]);
  const found = new Set<string>();
  const stack = [groupId];
  while (stack.length) {
    const id = stack.pop()!;
    if (found.has(id)) continue;
    found.add(id);
    stack.push(...(children.get(id) ?? []));
  }
  return found;
}
