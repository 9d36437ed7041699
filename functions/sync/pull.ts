import { eq } from 'drizzle-orm';
import { syncPeers } from '../../db/schema';
import { applyChanges, type ApplyOutcome } from './apply';
import { bootstrapFromPeer, isEmpty } from './bootstrap';
import { cursorRow, type Pair } from './pair';
import { PeerError, type PeerClient } from './peer-client';
import type { ChangesPage } from './wire';

export const DEFAULT_BATCH_SIZE = 500;
export const MAX_BATCH_SIZE = 5000;
/** A pull stops after this many batches; the next poke or tick goes on from the cursor. */
const MAX_BATCHES_PER_PULL = 1000;
/** Batches at least this large are logged before they are applied. */
const LOG_BATCH_FROM = 50;

export interface PullResult extends ApplyOutcome {
  outcome: 'synced' | 'skipped' | 'failed';
  reason?: string;
  error?: { code: string; detail: string };
  batches: number;
  bootstrapped: boolean;
  peerServerId?: string;
  cursor?: number;
}

export const emptyPull = (): PullResult => ({ outcome: 'synced', batches: 0, bootstrapped: false, applied: 0, superseded: 0, duplicates: 0, failed: 0, conflicts: 0 });

/**
 * Pulls the peer's changes after this server's cursor, batch by batch, each applied with the
 * cursor in one transaction. A first contact with an empty database copies the peer's snapshot
 * first; a peer whose database was replaced is followed from its start.
 */
export async function pullChanges(pair: Pair, client: PeerClient, result: PullResult): Promise<void> {
  const { db } = pair.deps;
  const limit = Math.min(Math.max(pair.deps.syncBatchSize ?? DEFAULT_BATCH_SIZE, 1), MAX_BATCH_SIZE);

  let row = await cursorRow(db.orm, pair.memory.knownPeer);
  let after = row?.cursor ?? 0;
  let page = await pair.clock.timed(() => client.changes(after, limit));
  if (page.serverId === pair.deps.serverId)
    throw new PeerError('same_server_id', `The peer calls itself "${page.serverId}", like this server; give the two servers different TANDEM_SERVER_ID values.`);
  const sameLog = (r: typeof row) => !!r && r.peerServerId === page.serverId && r.peerLogId === page.logId;
  if (!sameLog(row)) {
    // A first contact, another peer, or a peer whose database was replaced.
    row = await cursorRow(db.orm, page.serverId);
    if (!sameLog(row)) {
      if (await isEmpty(db.orm)) {
        await bootstrapFromPeer(pair, client);
        result.bootstrapped = true;
        row = await cursorRow(db.orm, page.serverId);
      } else {
        row = undefined;
      }
    }
    const cursor = sameLog(row) ? row!.cursor : 0;
    if (cursor !== after) {
      after = cursor;
      page = await client.changes(after, limit);
    }
  }
  pair.memory.knownPeer = page.serverId;
  result.peerServerId = page.serverId;
  const logId = page.logId;
  let stored = sameLog(row);

  for (let batch = 0; batch < MAX_BATCHES_PER_PULL; batch++) {
    if (page.logId !== logId) throw new PeerError('peer_reset', `The peer's database changed during the pull (log ${logId} became ${page.logId}); the next pull starts over.`);
    // The peer reads the next page while this one is applied. After the last page
    // that held changes, one more request picks up what was written meanwhile and
    // tells the peer how far this server got (its lag in the peer's status).
    const following = page.hasMore || page.changes.length ? client.changes(page.next, limit) : null;
    following?.catch(() => undefined);
    if (page.changes.length || page.next !== after || !stored) {
      await applyPage(pair, page, after, result);
      stored = true;
    }
    after = page.next;
    result.cursor = after;
    if (!following) return;
    page = await following;
  }
}

/** One batch and the cursor advance, in one transaction. */
async function applyPage(pair: Pair, page: ChangesPage, after: number, result: PullResult): Promise<void> {
  const { db, serverId, log } = pair.deps;
  const now = pair.deps.now();
  if (page.changes.length >= LOG_BATCH_FROM) log({ msg: 'applying batch', peer: page.serverId, after, changes: page.changes.length });
  const outcome = await db.write(async (tx) => {
    const current = await tx.select().from(syncPeers).where(eq(syncPeers.peerServerId, page.serverId)).get();
    const currentCursor = current && current.peerLogId === page.logId ? current.cursor : 0;
    if (currentCursor !== after) throw new PeerError('concurrent_pull', `Another pull moved the cursor from ${after} to ${currentCursor}; this batch is left to it.`);
    const outcome = await applyChanges(tx, { serverId, at: now }, page.changes);
    const at = now.toISOString();
    const values = {
      peerServerId: page.serverId,
      peerLogId: page.logId,
      cursor: page.next,
      lastSuccessAt: at,
      lastAppliedAt: page.changes.length ? at : (current?.lastAppliedAt ?? null),
    };
    await tx.insert(syncPeers).values(values).onConflictDoUpdate({ target: syncPeers.peerServerId, set: values });
    return outcome;
  });
  result.batches++;
  for (const key of ['applied', 'superseded', 'duplicates', 'failed', 'conflicts'] as const) result[key] += outcome[key];
  pair.counters.changesApplied += outcome.applied;
  pair.counters.conflicts += outcome.conflicts;
  pair.counters.failedChanges += outcome.failed;
  if (page.changes.length >= LOG_BATCH_FROM || outcome.conflicts || outcome.failed)
    log({ msg: 'applied batch', peer: page.serverId, cursor: page.next, ...outcome });
}
