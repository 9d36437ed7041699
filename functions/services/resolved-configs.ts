import { inArray, notInArray } from 'drizzle-orm';
import { noteForCommit, type Orm, type Tx } from '../../db/database';
import { insertMany } from '../../db/insert-many';
import { displayClients, firmwarePackages, resolvedConfigs, terminalGroups, terminals, terminalServers, type Terminal } from '../../db/schema';
import { resolveTerminalConfig, type Catalog } from '../domain/resolve';
import { sha256Hex } from '../domain/token';
import { advanceFeed } from './boot-document-feed';

/** Which terminals a write may have changed the boot document of. */
export type Scope = { terminalIds?: string[]; groupIds?: Set<string> } | 'all';

export async function loadCatalog(db: Orm | Tx): Promise<Catalog> {
  const [groups, clients, servers, firmware] = await Promise.all([
    db.select().from(terminalGroups).all(),
    db.select().from(displayClients).all(),
    db.select().from(terminalServers).all(),
    db.select().from(firmwarePackages).all(),
  ]);
  const byId = <T extends { id: string }>(rows: T[]) => new Map(rows.map((r) => [r.id, r]));
  return { groups: byId(groups), displayClients: byId(clients), terminalServers: byId(servers), firmware: byId(firmware) };
}

/** A version that changes whenever the document does, and is the same on every server. */
export async function versionOf(document: unknown): Promise<string> {
  return (await sha256Hex(JSON.stringify(document))).slice(0, 32);
}

/**
 * Re-resolves the boot documents a write may have changed and stores those that
 * did, so that a boot is a single primary-key read. Runs inside the write's
 * transaction: a boot never sees configuration and document disagree.
 */
export async function refreshResolvedConfigs(tx: Tx, scope: Scope): Promise<number> {
  noteForCommit(tx, 'boot-documents');
  const catalog = await loadCatalog(tx);
  const selected = scope === 'all' ? await tx.select().from(terminals).all() : await terminalsIn(tx, scope);
  const ids = selected.map((t) => t.id);
  const stored = new Map<string, { mac: string; configVersion: string }>();
  const storedRows =
    scope === 'all'
      ? await tx.select({ terminalId: resolvedConfigs.terminalId, mac: resolvedConfigs.mac, configVersion: resolvedConfigs.configVersion }).from(resolvedConfigs).all()
      : await selectInChunks(ids, (chunk) =>
          tx.select({ terminalId: resolvedConfigs.terminalId, mac: resolvedConfigs.mac, configVersion: resolvedConfigs.configVersion }).from(resolvedConfigs).where(inArray(resolvedConfigs.terminalId, chunk)).all(),
        );
  for (const row of storedRows) stored.set(row.terminalId, row);

  // Digests run concurrently (WebCrypto is asynchronous); rows are written in multi-row statements.
  const resolved = await Promise.all(
    selected.map(async (terminal) => {
      const body = resolveTerminalConfig(terminal, catalog);
      return { terminal, body, configVersion: await versionOf(body) };
    }),
  );
  const rows: (typeof resolvedConfigs.$inferInsert)[] = [];
  const movedMacs: string[] = [];
  for (const { terminal, body, configVersion } of resolved) {
    const previous = stored.get(terminal.id);
    if (previous && previous.configVersion === configVersion && previous.mac === terminal.mac) continue;
    if (previous && previous.mac !== terminal.mac) movedMacs.push(previous.mac);
    rows.push({ mac: terminal.mac, terminalId: terminal.id, document: JSON.stringify({ ...body, configVersion }), configVersion });
  }
  for (let i = 0; i < movedMacs.length; i += 500) await tx.delete(resolvedConfigs).where(inArray(resolvedConfigs.mac, movedMacs.slice(i, i + 500)));
  await insertMany(tx, resolvedConfigs, rows, { upsertOn: [resolvedConfigs.mac] });
  const changed = rows.length;
  const orphans =
    scope === 'all'
      ? await tx.delete(resolvedConfigs).where(notInArray(resolvedConfigs.terminalId, tx.select({ id: terminals.id }).from(terminals))).returning({ mac: resolvedConfigs.mac })
      : [];
  await advanceFeed(tx, { written: rows.map((r) => r.mac), removed: [...movedMacs, ...orphans.map((o) => o.mac)] });
  return changed;
}

/** The terminals named, and those in the groups named; each once. */
async function terminalsIn(tx: Tx, scope: { terminalIds?: string[]; groupIds?: Set<string> }): Promise<Terminal[]> {
  const byId = new Map<string, Terminal>();
  for (const t of await selectInChunks(scope.terminalIds ?? [], (chunk) => tx.select().from(terminals).where(inArray(terminals.id, chunk)).all())) byId.set(t.id, t);
  for (const t of await selectInChunks([...(scope.groupIds ?? [])], (chunk) => tx.select().from(terminals).where(inArray(terminals.groupId, chunk)).all())) byId.set(t.id, t);
  return [...byId.values()];
}

async function selectInChunks<T>(ids: string[], select: (chunk: string[]) => Promise<T[]>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < ids.length; i += 500) out.push(...(await select(ids.slice(i, i + 500))));
  return out;
}
