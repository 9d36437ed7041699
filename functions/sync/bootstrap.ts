import { eq } from 'drizzle-orm';
import type { Orm, Tx } from '../../db/database';
import { changeLog, recordHeads, syncPeers } from '../../db/schema';
import { chunks } from '../domain/chunks';
import { recordAudit } from '../services/audit';
import { entitySpecs, parseRow, type StoredRecord } from '../services/entities';
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
    const at = pair.deps.now();
    const report = async (entity: string, id: unknown, err: unknown) => {
      const error = String((err as Error)?.message ?? err).slice(0, 2000);
      log({ level: 'warn', msg: 'snapshot record refused', peer: snapshot.serverId, entity, id: String(id), error });
      await recordAudit(tx, serverId, at, { actor: 'system:sync', action: 'sync.apply_failed', entity, entityId: String(id), after: { snapshotOf: snapshot.serverId, error } });
    };
    const effects = await copySnapshot(tx, snapshot, report);
    const values = { peerServerId: snapshot.serverId, peerLogId: snapshot.logId, cursor: snapshot.head, lastSuccessAt: at.toISOString(), lastAppliedAt: at.toISOString(), bootstrappedAt: at.toISOString() };
    await tx.insert(syncPeers).values(values).onConflictDoUpdate({ target: syncPeers.peerServerId, set: values });
    effects.allTerminals();
    await effects.apply(tx);
    const counts = Object.fromEntries(Object.entries(snapshot.records).map(([entity, rows]) => [entity, rows.length]));
    await recordAudit(tx, serverId, at, { actor: 'system:sync', action: 'sync.bootstrap', entity: 'sync', entityId: snapshot.serverId, after: { position: snapshot.head, records: counts } });
  });
}

/**
 * Copies the heads, records and recent log of a snapshot; returns what the copy changes besides.
 * Every record passes the rules a pulled change passes: one that does not is left out and
 * reported, the rest is copied.
 */
async function copySnapshot(tx: Tx, snapshot: SnapshotDocument, report: (entity: string, id: unknown, err: unknown) => Promise<void>): Promise<WriteEffects> {
  const effects = new WriteEffects();
  for (const chunk of chunks(snapshot.heads, 200)) await tx.insert(recordHeads).values(chunk).onConflictDoNothing();
  // In the registry's order, references point at records copied before (or in the same table).
  for (const spec of entitySpecs()) {
    const rows: StoredRecord[] = [];
    for (const state of snapshot.records[spec.entity] ?? [])
      try {
        rows.push(parseRow(spec, state));
      } catch (err) {
        await report(spec.entity, state.id, err);
      }
    for (const chunk of chunks(rows, 100)) await tx.insert(spec.table).values(chunk).onConflictDoNothing();
    for (const row of rows)
      try {
        await spec.validate?.(tx, row, null, 'peer');
        spec.effects(effects, row.id, row);
      } catch (err) {
        await tx.delete(spec.table).where(eq(spec.idColumn, row.id));
        await report(spec.entity, row.id, err);
      }
  }
  for (const chunk of chunks(snapshot.log, 100))
    await tx
      .insert(changeLog)
      .values(chunk.map(({ seq: _seq, ...entry }) => ({ ...entry, revertOf: entry.revertOf ?? null })))
      .onConflictDoNothing();
  return effects;
}
