import { eq } from 'drizzle-orm';
import { syncState } from '../../db/schema';
import { recordAudit } from '../services/audit';
import { applyChanges } from './apply';
import { DEFAULT_BATCH_SIZE, MAX_BATCH_SIZE } from './pull';
import type { Pair } from './pair';
import { PeerError, type PeerClient } from './peer-client';
import { loadSyncState } from './state';

/** A recovery stops after this many pages; the next pull goes on from its cursor. */
const MAX_PAGES = 1000;

export interface RecoveryResult {
  applied: number;
  duplicates: number;
  conflicts: number;
  failed: number;
  done: boolean;
}

/**
 * A server restored from a backup (`tandem restore`) lost the changes it made after the backup
 * was taken, but its peer pulled them: it takes them back, page by page, through the merge rule
 * a pulled change passes (what it still has is skipped by change id; a change it has made since
 * the restore meets the older one as a conflict and wins, on both servers). Each page is applied
 * with the recovery cursor in one transaction; the end is recorded (`recoveredAt`, an audit
 * event). Runs before the pair's pulls, whichever way the licence makes changes flow. Null when
 * there is nothing to recover.
 */
export async function recoverOwnChanges(pair: Pair, client: PeerClient): Promise<RecoveryResult | null> {
  const { db, serverId, log } = pair.deps;
  const state = await loadSyncState(db);
  if (!state.restoredAt || state.recoveredAt) return null;
  const limit = Math.min(Math.max(pair.deps.syncBatchSize ?? DEFAULT_BATCH_SIZE, 1), MAX_BATCH_SIZE);
  const result: RecoveryResult = { applied: 0, duplicates: 0, conflicts: 0, failed: 0, done: false };
  let logId = state.recoveryLogId;
  let after = state.recoveryCursor;
  for (let page = 0; page < MAX_PAGES; page++) {
    let held = await client.heldChanges(logId === null ? 0 : after, limit);
    if (held.serverId === serverId) throw new PeerError('same_server_id', `The peer calls itself "${held.serverId}", like this server; give the two servers different TANDEM_SERVER_ID values.`);
    // The peer's database was replaced since the recovery began: its log is read from the start.
    if (logId !== null && held.logId !== logId) held = await client.heldChanges(0, limit);
    const now = pair.deps.now();
    const finished = !held.hasMore;
    const outcome = await db.write(async (tx) => {
      const outcome = await applyChanges(tx, { serverId, at: now }, held.changes);
      await tx
        .update(syncState)
        .set({ recoveryLogId: held.logId, recoveryCursor: held.next, ...(finished ? { recoveredAt: now.toISOString() } : {}) })
        .where(eq(syncState.id, 1));
      if (finished)
        await recordAudit(tx, serverId, now, {
          actor: 'system:sync',
          action: 'sync.recovered',
          entity: 'sync',
          entityId: held.serverId,
          after: { restoredAt: state.restoredAt, peer: held.serverId, ...counted(result, outcome) },
        });
      return outcome;
    });
    Object.assign(result, counted(result, outcome));
    logId = held.logId;
    after = held.next;
    if (finished) {
      result.done = true;
      log({ msg: 'restored server took back its own changes from the peer', peer: held.serverId, ...result });
      return result;
    }
  }
  return result;
}

/** The running totals with one more page's outcome. */
const counted = (total: RecoveryResult, page: { applied: number; duplicates: number; conflicts: number; failed: number }) => ({
  applied: total.applied + page.applied,
  duplicates: total.duplicates + page.duplicates,
  conflicts: total.conflicts + page.conflicts,
  failed: total.failed + page.failed,
});
