import type { Orm, Tx } from '../../db/database';
import { changeLog, recordHeads, syncPeers } from '../../db/schema';
import { chunks } from '../domain/chunks';
import { recordAudit } from '../services/audit';
import { entitySpecs, entitySpec, pickColumns } from '../services/entities';
import { WriteEffects } from '../services/write-effects';
import type { Pair } from './pair';
import { PeerError, type PeerClient } from './peer-client';
import type { SnapshotDocument } from './wire';

/** No configuration and no history: a new server that may copy a snapshot. */
export async function isEmpty(db: Orm | Tx): Promise<boolean> {
  if (await db.select({ seq: changeLog.seq }).from(changeLog).limit(1).get()) return false;
  for (const { table, idColumn } of entitySpecs()) if (await db.select({ id: idColumn }).from(table).limit(1).get()) return false;
  return true;
}

/** An empty server copies the peer's snapshot, then follows its log from the snapshot's position. */
export async function bootstrapFromPeer(pair: Pair, client: PeerClient): Promise<void> {
  const { db, serverId, log } = pair.deps;
  const snapshot = await client.snapshot();
  log({ msg: 'bootstrapping from the peer snapshot', peer: snapshot.serverId, position: snapshot.head });
  await db.write(async (tx) => {
    if (!(await isEmpty(tx))) throw new PeerError('bootstrap_refused', 'Configuration was written here while the snapshot was on its way; the next pull merges instead.');
    const effects = await copySnapshot(tx, snapshot);
    const at = pair.deps.now();
    const values = { peerServerId: snapshot.serverId, peerLogId: snapshot.logId, cursor: snapshot.head, lastSuccessAt: at.toISOString(), lastAppliedAt: at.toISOString(), bootstrappedAt: at.toISOString() };
    await tx.insert(syncPeers).values(values).onConflictDoUpdate({ target: syncPeers.peerServerId, set: values });
    effects.allTerminals();
    await effects.apply(tx);
    const counts = Object.fromEntries(Object.entries(snapshot.records).map(([entity, rows]) => [entity, rows.length]));
    await recordAudit(tx, serverId, at, { actor: 'system:sync', action: 'sync.bootstrap', entity: 'sync', entityId: snapshot.serverId, after: { position: snapshot.head, records: counts } });
  });
}

/** Copies the records, heads and recent log of a snapshot; returns what the copy changes besides. */
async function copySnapshot(tx: Tx, snapshot: SnapshotDocument): Promise<WriteEffects> {
  const effects = new WriteEffects();
  for (const [entity, rows] of Object.entries(snapshot.records)) {
    const spec = entitySpec(entity);
    if (!spec) continue;
    for (const row of rows) spec.effects(effects, String(row.id), row as Parameters<typeof spec.effects>[2]);
    const picked = rows.map((r) => pickColumns(spec, r));
    for (const chunk of chunks(picked, 100)) await tx.insert(spec.table).values(chunk).onConflictDoNothing();
  }
  for (const chunk of chunks(snapshot.heads, 200)) await tx.insert(recordHeads).values(chunk).onConflictDoNothing();
  for (const chunk of chunks(snapshot.log, 100))
    await tx
      .insert(changeLog)
      .values(chunk.map(({ seq: _seq, ...entry }) => ({ ...entry, revertOf: entry.revertOf ?? null })))
      .onConflictDoNothing();
  return effects;
}
