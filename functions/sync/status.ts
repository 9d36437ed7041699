import { and, asc, count, desc, eq, gt, isNull } from 'drizzle-orm';
import { changeLog, syncConflicts, terminals } from '../../db/schema';
import { danglingReferences, danglingWarning, type DanglingReference } from '../domain/dangling-references';
import type { RedundancyMode } from '../domain/license';
import type { SyncDirection } from '../domain/sync-direction';
import { loadCatalog } from '../services/resolved-configs';
import { cursorRow, type Pair } from './pair';
import { describeFailure, PeerError } from './peer-client';
import { loadSyncState } from './state';
import type { ChangesPage } from './wire';

export interface SyncStatus {
  serverId: string;
  role: 'primary' | 'secondary';
  mode: RedundancyMode;
  direction: SyncDirection;
  paused: boolean;
  peer: {
    url: string | null;
    serverId: string | null;
    reachable: boolean | null;
    checkedAt: string;
    error: { code: string; detail: string } | null;
    /** The peer's clock minus this server's, as last measured (null: not measured). */
    clockSkewSeconds: number | null;
  };
  lastSuccessfulSync: string | null;
  lastAttempt: string | null;
  lastError: { code: string; detail: string; at: string } | null;
  /** How far this server is behind the peer (when it pulls), or the peer behind this server (when it only serves). */
  lag: { changes: number | null; seconds: number | null };
  cursor: number | null;
  openConflicts: number;
  conflicts: (typeof syncConflicts.$inferSelect)[];
  failedChanges: number;
  /** References to records deleted on one server while the other still used them (the first 50). */
  danglingReferences: DanglingReference[];
  /** When this database was restored from a backup, and when it took back from the peer the changes it had lost (null: not yet); null: never restored. */
  restore: { restoredAt: string; recoveredAt: string | null } | null;
  /** What an admin should act on, in sentences. */
  warnings: string[];
}

/** The pair as this server sees it, asking the peer how far apart the two are. */
export async function syncStatus(pair: Pair): Promise<SyncStatus> {
  const { deps, memory } = pair;
  const now = deps.now();
  const [{ mode, direction }, state, row, [{ open }], conflicts, [{ failed }], catalog, referrers] = await Promise.all([
    pair.direction(),
    loadSyncState(deps.db),
    cursorRow(deps.db.orm, memory.knownPeer),
    deps.db.orm.select({ open: count() }).from(syncConflicts).where(isNull(syncConflicts.acknowledgedAt)).all(),
    deps.db.orm.select().from(syncConflicts).where(isNull(syncConflicts.acknowledgedAt)).orderBy(desc(syncConflicts.detectedAt)).limit(20).all(),
    deps.db.orm.select({ failed: count() }).from(changeLog).where(eq(changeLog.status, 'failed')).all(),
    loadCatalog(deps.db.orm),
    deps.db.orm
      .select({ id: terminals.id, name: terminals.name, groupId: terminals.groupId, firmwarePackageId: terminals.firmwarePackageId, displayClientIds: terminals.displayClientIds })
      .from(terminals)
      .all(),
  ]);
  const dangling = danglingReferences(catalog, referrers);
  const status: SyncStatus = {
    serverId: deps.serverId,
    role: deps.role,
    mode,
    direction,
    paused: state.paused,
    peer: { url: deps.peerUrl ?? null, serverId: row?.peerServerId ?? memory.served?.peerServerId ?? null, reachable: null, checkedAt: now.toISOString(), error: null, clockSkewSeconds: null },
    lastSuccessfulSync: latest(row?.lastSuccessAt ?? null, memory.lastSuccessAt),
    lastAttempt: memory.lastAttemptAt,
    lastError: memory.lastError,
    lag: { changes: null, seconds: null },
    cursor: row?.cursor ?? null,
    openConflicts: open,
    conflicts,
    failedChanges: failed,
    danglingReferences: dangling.slice(0, 50),
    restore: state.restoredAt ? { restoredAt: state.restoredAt, recoveredAt: state.recoveredAt } : null,
    warnings: [danglingWarning(dangling), restoreWarning(state)].filter((w): w is string => w !== null),
  };
  if (!pair.peer || (!direction.pulls && !direction.serves)) return status;

  const client = await pair.client();
  if (direction.pulls) {
    try {
      const sameLog = (page: ChangesPage) => row && row.peerServerId === page.serverId && row.peerLogId === page.logId;
      let page = await pair.clock.timed(() => client.probe(row?.cursor ?? 0));
      if (!sameLog(page) && row && row.cursor !== 0) page = await client.probe(0);
      status.peer.reachable = true;
      status.peer.serverId = page.serverId;
      status.lag = { changes: page.pending, seconds: secondsSince(page.oldestPendingAt, now) };
    } catch (err) {
      status.peer.reachable = err instanceof PeerError && err.code === 'peer_unreachable' ? false : true;
      status.peer.error = describeFailure(err);
    }
  } else {
    status.peer.reachable = await client.healthy();
    const served = memory.served;
    if (served) {
      const own = and(eq(changeLog.origin, deps.serverId), gt(changeLog.seq, served.cursor));
      const [[{ pending }], oldest] = await Promise.all([
        deps.db.orm.select({ pending: count() }).from(changeLog).where(own).all(),
        deps.db.orm.select({ at: changeLog.at }).from(changeLog).where(own).orderBy(asc(changeLog.seq)).limit(1).all(),
      ]);
      status.lag = { changes: pending, seconds: secondsSince(oldest[0]?.at ?? null, now) };
      status.lastSuccessfulSync = latest(status.lastSuccessfulSync, served.at);
    }
  }
  const skewMs = pair.clock.skewMs;
  status.peer.clockSkewSeconds = skewMs === null ? null : Math.round(skewMs / 1000);
  const skewWarning = pair.clock.warning(status.peer.serverId);
  if (skewWarning) status.warnings.push(skewWarning);
  return status;
}

function latest(a: string | null, b: string | null): string | null {
  if (!a) return b;
  if (!b) return a;
  return a > b ? a : b;
}

function secondsSince(at: string | null, now: Date): number {
  if (!at) return 0;
  return Math.max(0, (now.getTime() - Date.parse(at)) / 1000);
}

/** A restored server that has not yet taken back from the peer the changes it made after its backup. */
function restoreWarning(state: { restoredAt: string | null; recoveredAt: string | null }): string | null {
  if (!state.restoredAt || state.recoveredAt) return null;
  return `restore_recovery_pending: this database was restored from a backup at ${state.restoredAt}; the changes this server made after the backup come back from the peer at the next successful pull.`;
}
