import { openDatabase } from '../../db/client';
import { displayClients, terminalGroups, terminals, terminalServers } from '../../db/schema';
import { refreshResolvedConfigs } from '../../functions/services/resolved-configs';

export interface Seeded {
  macs: string[];
  terminalIds: string[];
}

const stamp = () => {
  const now = new Date().toISOString();
  return { version: 1, createdAt: now, updatedAt: now };
};

/**
 * A plant-sized configuration straight into a database file: `groupCount` groups
 * nested three deep (10% top, 30% middle, 60% leaves), terminals spread over them,
 * display clients and terminal servers, all documents resolved.
 */
export async function seedPlant(url: string, terminalCount = 10_000, groupCount = 100): Promise<Seeded> {
  const db = await openDatabase(url);
  try {
    const servers = Array.from({ length: 8 }, (_, i) => ({ ...stamp(), id: crypto.randomUUID(), name: `rds-${i}`, host: `10.0.${i}.10`, port: 3389, enabled: true }));
    const clients = Array.from({ length: 4 }, (_, i) => ({
      ...stamp(),
      id: crypto.randomUUID(),
      name: `desktop-${i}`,
      type: 'rdp' as const,
      settings: { domain: 'PLANT', fullscreen: true },
      terminalServerIds: [servers[(2 * i) % 8].id, servers[(2 * i + 1) % 8].id],
      failoverMode: 'failover' as const,
    }));
    const top = Math.max(1, Math.round(groupCount * 0.1));
    const middle = Math.max(1, Math.round(groupCount * 0.3));
    const leaves = groupCount - top - middle;
    const groups: (typeof terminalGroups.$inferInsert)[] = [];
    for (let i = 0; i < top; i++)
      groups.push({ ...stamp(), id: crypto.randomUUID(), name: `site-${i}`, parentId: null, videoResolution: '1920x1080', displayClientIds: [clients[i % 4].id], options: { keyboard: 'de', site: i } });
    for (let i = 0; i < middle; i++)
      groups.push({ ...stamp(), id: crypto.randomUUID(), name: `hall-${i}`, parentId: groups[i % top].id, hardwareModel: `TC-${i % 5}`, options: { hall: i } });
    for (let i = 0; i < leaves; i++)
      groups.push({ ...stamp(), id: crypto.randomUUID(), name: `line-${i}`, parentId: groups[top + (i % middle)].id, options: { line: i } });
    const macs: string[] = [];
    const rows: (typeof terminals.$inferInsert)[] = [];
    for (let i = 0; i < terminalCount; i++) {
      const mac = `02:00:${[(i >> 24) & 255, (i >> 16) & 255, (i >> 8) & 255, i & 255].map((b) => b.toString(16).padStart(2, '0')).join(':')}`;
      macs.push(mac);
      rows.push({ ...stamp(), id: crypto.randomUUID(), mac, name: `terminal-${i}`, groupId: groups[i % groups.length].id });
    }
    await db.write(async (tx) => {
      await tx.insert(terminalServers).values(servers);
      await tx.insert(displayClients).values(clients);
      for (let i = 0; i < groups.length; i += 100) await tx.insert(terminalGroups).values(groups.slice(i, i + 100));
      for (let i = 0; i < rows.length; i += 200) await tx.insert(terminals).values(rows.slice(i, i + 200));
      await refreshResolvedConfigs(tx, 'all');
    });
    return { macs, terminalIds: rows.map((r) => r.id!) };
  } finally {
    db.close();
  }
}
