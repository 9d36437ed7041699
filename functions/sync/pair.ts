import { desc, eq } from 'drizzle-orm';
import type { Orm } from '../../db/database';
import { syncPeers } from '../../db/schema';
import type { AppDeps } from '../deps';
import type { RedundancyMode } from '../domain/license';
import { syncDirection, type SyncDirection } from '../domain/sync-direction';
import type { Licensing } from '../services/license';
import { PeerClock } from './peer-clock';
import { peerClient, type PeerClient, type PeerEndpoint } from './peer-client';
import type { ServerIdentity } from './serve';
import { loadSyncState } from './state';

/** What this process remembers of the pair between pulls (status and metrics read it). */
export interface SyncMemory {
  lastAttemptAt: string | null;
  lastSuccessAt: string | null;
  lastError: { code: string; detail: string; at: string } | null;
  /** The last pull the peer made from this server. */
  served: { peerServerId: string; cursor: number; at: string } | null;
  /** The peer this server last pulled from. */
  knownPeer: string | null;
}

/** Since this process started, for /metrics. */
export interface SyncCounters {
  changesApplied: number;
  conflicts: number;
  failedChanges: number;
  pullFailures: number;
  lastSuccessSeconds: number;
}

/**
 * This server's side of the pair: who it is, which way changes flow under its licence, the
 * peer's endpoint and clock, and what it remembers. Pull, bootstrap and status all read it.
 */
export class Pair {
  readonly clock: PeerClock;
  readonly memory: SyncMemory = { lastAttemptAt: null, lastSuccessAt: null, lastError: null, served: null, knownPeer: null };
  readonly counters: SyncCounters = { changesApplied: 0, conflicts: 0, failedChanges: 0, pullFailures: 0, lastSuccessSeconds: 0 };
  private self: ServerIdentity | null = null;

  constructor(
    readonly deps: AppDeps,
    private readonly licensing: Licensing,
  ) {
    this.clock = new PeerClock(deps.now, deps.log);
  }

  /** The other server, when both its URL and a token it accepts are configured. */
  get peer(): PeerEndpoint | null {
    const { peerUrl, peerToken } = this.deps;
    return peerUrl && peerToken ? { url: peerUrl, token: peerToken } : null;
  }

  /** The licence decides the redundancy mode (`demo` without one), and the mode the direction. */
  async direction(): Promise<{ mode: RedundancyMode; direction: SyncDirection }> {
    const mode = (await this.licensing.state()).mode;
    return { mode, direction: syncDirection(mode, this.deps.role) };
  }

  async identity(): Promise<ServerIdentity> {
    if (this.self) return this.self;
    const { db, serverId } = this.deps;
    const state = await loadSyncState(db);
    this.self = { serverId, logId: state.logId, schemaVersion: db.schemaVersion };
    return this.self;
  }

  async client(): Promise<PeerClient> {
    const self = await this.identity();
    return peerClient(this.peer!, { serverId: self.serverId, schemaVersion: self.schemaVersion }, this.deps.peerFetch);
  }

  async paused(): Promise<boolean> {
    return (await loadSyncState(this.deps.db)).paused;
  }
}

/** The cursor kept for a peer (the one pulled from last, when none is named). */
export async function cursorRow(orm: Orm, peerServerId: string | null) {
  if (peerServerId) return orm.select().from(syncPeers).where(eq(syncPeers.peerServerId, peerServerId)).get();
  return orm.select().from(syncPeers).orderBy(desc(syncPeers.lastSuccessAt)).limit(1).get();
}
