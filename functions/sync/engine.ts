import { and, asc, count, desc, eq, gt, isNull } from 'drizzle-orm';
import type { Database, Orm, Tx } from '../../db/database';
import { schemaVersion } from '../../db/database';
import { changeLog, recordHeads, syncConflicts, syncPeers, terminals } from '../../db/schema';
import { DomainError } from '../domain/errors';
import type { RedundancyMode } from '../domain/license';
import { syncDirection, type SyncDirection } from '../domain/sync-direction';
import { LICENSE_ENTITY, licenseChanged } from '../services/license';
import { recordAudit } from '../services/audit';
import { loadCatalog, refreshResolvedConfigs } from '../services/resolved-configs';
import { danglingReferences, danglingWarning, type DanglingReference } from '../domain/dangling-references';
import { clockSkewMs, clockSkewWarning } from '../domain/clock-skew';
import { applyChanges, type ApplyOutcome } from './apply';
import { syncedEntities, syncedEntity } from './entities';
import { syncModeFor, type SyncDeps } from './mode';
import { describeFailure, peerClient, PeerError, type PeerClient, type PeerEndpoint } from './peer-client';
import type { ServerIdentity } from './serve';
import { loadSyncState } from './state';
import type { ChangesPage, SnapshotDocument } from './wire';

/* eslint-disable @typescript-eslint/no-explicit-any */

export const DEFAULT_BATCH_SIZE = 500;
export const MAX_BATCH_SIZE = 5000;
/** A pull stops after this many batches; the next poke or tick goes on from the cursor. */
const MAX_BATCHES_PER_PULL = 1000;
/** Pull rounds requested while one runs are folded into at most this many more. */
const MAX_ROUNDS = 100;
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
  /** What an admin should act on, in sentences. */
  warnings: string[];
}

/**
 * Workers forbid a request to wait on I/O another request started: there every
 * pull and poke is the caller's own (and the Worker's waitUntil keeps it alive),
 * where on Node one pull at a time is shared by every caller.
 */
const onWorkers = () => typeof navigator !== 'undefined' && navigator.userAgent === 'Cloudflare-Workers';

const emptyResult = (): PullResult => ({ outcome: 'synced', batches: 0, bootstrapped: false, applied: 0, superseded: 0, duplicates: 0, failed: 0, conflicts: 0 });
const skipped = (reason: string): PullResult => ({ ...emptyResult(), outcome: 'skipped', reason });

/**
 * Synchronisation for one server: pulls the peer's changes (one pull at a time,
 * requests made meanwhile folded into one more round), pokes the peer after
 * each local write, and reports status. Runtime-neutral: fetch and timers only.
 */
export class SyncEngine {
  private running: Promise<PullResult> | null = null;
  private pullWanted = false;
  private poking: Promise<void> | null = null;
  private pokeWanted = false;
  private knownPeer: string | null = null;
  private identityCache: ServerIdentity | null = null;
  private readonly shared = !onWorkers();
  private readonly ownWork = new Set<Promise<unknown>>();
  private memory = {
    lastAttemptAt: null as string | null,
    lastSuccessAt: null as string | null,
    lastError: null as { code: string; detail: string; at: string } | null,
    served: null as { peerServerId: string; cursor: number; at: string } | null,
    clockSkewMs: null as number | null,
  };

  /** Since this process started, for /metrics. */
  readonly counters = { changesApplied: 0, conflicts: 0, failedChanges: 0, pullFailures: 0, lastSuccessSeconds: 0, peerClockSkewSeconds: NaN };

  constructor(public deps: SyncDeps) {}

  /** Pulls now, or once more after the pull under way. */
  requestPull(): Promise<PullResult> {
    if (!this.shared) return this.track(this.pullOnce());
    this.pullWanted = true;
    this.running ??= this.rounds();
    return this.running;
  }

  /** After a local write committed: make the peer pull at once, if it pulls from this server. */
  notifyLocalChange(): void {
    this.pokeWanted = true;
    if (!this.shared) void this.track(this.pokes());
    else this.poking ??= this.pokes();
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.ownWork.add(work);
    void work.finally(() => this.ownWork.delete(work)).catch(() => undefined);
    return work;
  }

  /** Resolves once no pull is under way in this process. */
  async pullsSettled(): Promise<void> {
    for (let i = 0; this.running && i < MAX_ROUNDS; i++) await this.running.catch(() => undefined);
  }

  /** Work still under way (for Workers' waitUntil). */
  pendingWork(): Promise<unknown> | null {
    const work = [this.running, this.poking, ...this.ownWork].filter(Boolean);
    return work.length ? Promise.allSettled(work) : null;
  }

  /** The peer pulled this server's changes after `cursor`: it holds everything up to there. */
  noteServed(peerServerId: string, cursor: number): void {
    this.memory.served = { peerServerId, cursor, at: this.deps.now().toISOString() };
  }

  async identity(): Promise<ServerIdentity> {
    if (this.identityCache) return this.identityCache;
    const [state, version] = await Promise.all([loadSyncState(this.deps.db), schemaVersion(this.deps.db.client)]);
    this.identityCache = { serverId: this.deps.serverId, logId: state.logId, schemaVersion: version };
    return this.identityCache;
  }

  async direction(): Promise<{ mode: RedundancyMode; direction: SyncDirection }> {
    const mode = await syncModeFor(this.deps);
    return { mode, direction: syncDirection(mode, this.deps.role) };
  }

  /** "Synchronise now": pull if this server pulls, else make the peer pull from it and report its pull. */
  async runNow(): Promise<PullResult & { peerPull?: Record<string, unknown> }> {
    const { mode, direction } = await this.direction();
    if (!direction.pulls && !direction.serves)
      throw new DomainError(409, 'sync_not_licensed', `Nothing to synchronise: ${direction.reason}.`, { mode });
    if (!peerOf(this.deps)) throw new DomainError(409, 'no_peer', 'No peer is configured: set TANDEM_PEER_URL and TANDEM_PEER_TOKEN.');
    if ((await loadSyncState(this.deps.db)).paused) throw new DomainError(409, 'sync_paused', 'Synchronisation is paused on this server; resume it first (POST /api/v1/sync/resume).');
    if (!direction.pulls) {
      let peerPull: Record<string, unknown>;
      try {
        peerPull = await (await this.client()).pokeAndWait();
      } catch (err) {
        const failure = describeFailure(err);
        throw new DomainError(502, failure.code, failure.detail);
      }
      if (peerPull.outcome === 'failed') {
        const error = (peerPull.error ?? {}) as { code?: string; detail?: string };
        throw new DomainError(502, error.code ?? 'peer_pull_failed', `The peer's pull failed: ${error.detail ?? 'no detail'}`, { peerPull });
      }
      return { ...skipped(direction.reason), outcome: 'synced', peerPull };
    }
    const result = await this.requestPull();
    if (result.outcome === 'failed') throw new DomainError(502, result.error!.code, result.error!.detail, { result });
    return result;
  }

  private async client(): Promise<PeerClient> {
    const self = await this.identity();
    return peerClient(peerOf(this.deps)!, { serverId: self.serverId, schemaVersion: self.schemaVersion });
  }

  /**
   * Pull rounds while requests keep coming. `running` is cleared in the same turn
   * as the last check of `pullWanted`, so a request is either seen by this loop or
   * starts a new one, never lost in between.
   */
  private async rounds(): Promise<PullResult> {
    await Promise.resolve(); // `running` is set before the loop can end
    let result: PullResult = skipped('nothing requested');
    try {
      for (let round = 0; this.pullWanted && round < MAX_ROUNDS; round++) {
        this.pullWanted = false;
        result = await this.pullOnce();
      }
    } finally {
      this.running = null;
    }
    return result;
  }

  private async pokes(): Promise<void> {
    await Promise.resolve();
    if (!this.shared) this.pokeWanted = true;
    try {
      for (let i = 0; this.pokeWanted && i < 10_000; i++) {
        this.pokeWanted = false;
        const { direction } = await this.direction();
        if (!direction.serves || !peerOf(this.deps)) return;
        await (await this.client()).poke();
      }
    } catch {
      // The peer is down or refuses: its timer, and its pull at start, catch up.
    } finally {
      if (this.shared) this.poking = null;
    }
  }

  private async pullOnce(): Promise<PullResult> {
    const { deps } = this;
    const { direction } = await this.direction();
    if (!direction.pulls) return skipped(direction.reason);
    if (!peerOf(deps)) return skipped('no peer configured: set TANDEM_PEER_URL and TANDEM_PEER_TOKEN');
    if ((await loadSyncState(deps.db)).paused) return skipped('synchronisation is paused on this server');

    this.memory.lastAttemptAt = deps.now().toISOString();
    const result = emptyResult();
    try {
      await this.pull(await this.client(), result);
      this.memory.lastSuccessAt = deps.now().toISOString();
      this.memory.lastError = null;
      this.counters.lastSuccessSeconds = deps.now().getTime() / 1000;
      return result;
    } catch (err) {
      this.counters.pullFailures++;
      const failure = describeFailure(err);
      this.memory.lastError = { ...failure, at: deps.now().toISOString() };
      deps.log({ level: 'warn', msg: 'sync pull failed', ...failure });
      return { ...result, outcome: 'failed', error: failure };
    }
  }

  private async pull(client: PeerClient, result: PullResult): Promise<void> {
    const { db } = this.deps;
    const limit = Math.min(Math.max(this.deps.syncBatchSize ?? DEFAULT_BATCH_SIZE, 1), MAX_BATCH_SIZE);

    let row = await cursorRow(db.orm, this.knownPeer);
    let after = row?.cursor ?? 0;
    let page = await this.timed(() => client.changes(after, limit));
    if (page.serverId === this.deps.serverId)
      throw new PeerError('same_server_id', `The peer calls itself "${page.serverId}", like this server; give the two servers different TANDEM_SERVER_ID values.`);
    const sameLog = (r: typeof row) => !!r && r.peerServerId === page.serverId && r.peerLogId === page.logId;
    if (!sameLog(row)) {
      // A first contact, another peer, or a peer whose database was replaced.
      row = await cursorRow(db.orm, page.serverId);
      if (!sameLog(row)) {
        if (await isEmpty(db.orm)) {
          await this.bootstrap(client);
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
    this.knownPeer = page.serverId;
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
        await this.applyPage(page, after, result);
        stored = true;
      }
      after = page.next;
      result.cursor = after;
      if (!following) return;
      page = await following;
    }
  }

  /** One batch and the cursor advance, in one transaction. */
  private async applyPage(page: ChangesPage, after: number, result: PullResult): Promise<void> {
    const { db, serverId, log } = this.deps;
    const now = this.deps.now();
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
    // A licence that arrived takes effect at once: it decides the redundancy mode.
    if (page.changes.some((c) => c.entity === LICENSE_ENTITY)) licenseChanged(this.deps);
    result.batches++;
    for (const key of ['applied', 'superseded', 'duplicates', 'failed', 'conflicts'] as const) result[key] += outcome[key];
    this.counters.changesApplied += outcome.applied;
    this.counters.conflicts += outcome.conflicts;
    this.counters.failedChanges += outcome.failed;
    if (page.changes.length >= LOG_BATCH_FROM || outcome.conflicts || outcome.failed)
      log({ msg: 'applied batch', peer: page.serverId, cursor: page.next, ...outcome });
  }

  /** An empty server copies the peer's snapshot, then follows its log from the snapshot's position. */
  private async bootstrap(client: PeerClient): Promise<void> {
    const { db, serverId, log } = this.deps;
    const snapshot = await client.snapshot();
    log({ msg: 'bootstrapping from the peer snapshot', peer: snapshot.serverId, position: snapshot.head });
    await db.write(async (tx) => {
      if (!(await isEmpty(tx))) throw new PeerError('bootstrap_refused', 'Configuration was written here while the snapshot was on its way; the next pull merges instead.');
      await copySnapshot(tx, snapshot);
      const at = this.deps.now();
      const values = { peerServerId: snapshot.serverId, peerLogId: snapshot.logId, cursor: snapshot.head, lastSuccessAt: at.toISOString(), lastAppliedAt: at.toISOString(), bootstrappedAt: at.toISOString() };
      await tx.insert(syncPeers).values(values).onConflictDoUpdate({ target: syncPeers.peerServerId, set: values });
      await refreshResolvedConfigs(tx, 'all');
      const counts = Object.fromEntries(Object.entries(snapshot.records).map(([entity, rows]) => [entity, rows.length]));
      await recordAudit(tx, serverId, at, { actor: 'system:sync', action: 'sync.bootstrap', entity: 'sync', entityId: snapshot.serverId, after: { position: snapshot.head, records: counts } });
    });
    licenseChanged(this.deps);
  }

  async status(): Promise<SyncStatus> {
    const { deps } = this;
    const now = deps.now();
    const [{ mode, direction }, state, row, [{ open }], conflicts, [{ failed }], catalog, referrers] = await Promise.all([
      this.direction(),
      loadSyncState(deps.db),
      cursorRow(deps.db.orm, this.knownPeer),
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
      peer: { url: deps.peerUrl ?? null, serverId: row?.peerServerId ?? this.memory.served?.peerServerId ?? null, reachable: null, checkedAt: now.toISOString(), error: null, clockSkewSeconds: null },
      lastSuccessfulSync: latest(row?.lastSuccessAt ?? null, this.memory.lastSuccessAt),
      lastAttempt: this.memory.lastAttemptAt,
      lastError: this.memory.lastError,
      lag: { changes: null, seconds: null },
      cursor: row?.cursor ?? null,
      openConflicts: open,
      conflicts,
      failedChanges: failed,
      danglingReferences: dangling.slice(0, 50),
      warnings: [danglingWarning(dangling)].filter((w): w is string => w !== null),
    };
    if (!peerOf(deps) || (!direction.pulls && !direction.serves)) return status;

    const client = await this.client();
    if (direction.pulls) {
      try {
        const sameLog = (page: ChangesPage) => row && row.peerServerId === page.serverId && row.peerLogId === page.logId;
        let page = await this.timed(() => client.probe(row?.cursor ?? 0));
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
      const served = this.memory.served;
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
    status.peer.clockSkewSeconds = this.memory.clockSkewMs === null ? null : Math.round(this.memory.clockSkewMs / 1000);
    const skewWarning = clockSkewWarning(this.memory.clockSkewMs, status.peer.serverId);
    if (skewWarning) status.warnings.push(skewWarning);
    return status;
  }

  /** A page from the peer, with the peer's clock measured against this server's on the way. */
  private async timed(request: () => Promise<ChangesPage>): Promise<ChangesPage> {
    const sentAt = this.deps.now().getTime();
    const page = await request();
    this.noteClockSkew(clockSkewMs(page.serverTime, sentAt, this.deps.now().getTime()), page.serverId);
    return page;
  }

  /** Keeps the last measured skew, and logs when it goes past the limit or comes back. */
  private noteClockSkew(skewMs: number | null, peerServerId: string): void {
    if (skewMs === null) return;
    const before = clockSkewWarning(this.memory.clockSkewMs, peerServerId);
    const now = clockSkewWarning(skewMs, peerServerId);
    this.memory.clockSkewMs = skewMs;
    this.counters.peerClockSkewSeconds = skewMs / 1000;
    if (now && !before) this.deps.log({ level: 'warn', msg: 'peer clock skew', peer: peerServerId, skewMs, detail: now });
    else if (before && !now) this.deps.log({ msg: 'peer clock agrees again', peer: peerServerId, skewMs });
  }
}

const engines = new WeakMap<Database, SyncEngine>();

/** The engine of a server (one per database), made on first use; it pokes the peer after each committed change. */
export function syncEngineFor(deps: SyncDeps): SyncEngine {
  let engine = engines.get(deps.db);
  if (!engine) {
    const created = new SyncEngine(deps);
    engine = created;
    engines.set(deps.db, created);
    deps.db.onCommitted('configuration', () => created.notifyLocalChange());
  }
  engine.deps = deps;
  return engine;
}

/**
 * Pulls everything the peer has that this server lacks, if the redundancy mode
 * makes this server pull. The one call for a timer on Node and for the Workers
 * `scheduled` handler (cron trigger).
 */
export function pullFromPeer(deps: SyncDeps): Promise<PullResult> {
  return syncEngineFor(deps).requestPull();
}

/** The safety-net timer on Node: a pull every `intervalMs`. Returns the stop function. */
export function startSyncTimer(deps: SyncDeps, intervalMs: number): () => void {
  const timer = setInterval(() => void pullFromPeer(deps), intervalMs);
  return () => clearInterval(timer);
}

/** The other server of the pair, when both its URL and a token it accepts are configured. */
function peerOf(deps: SyncDeps): PeerEndpoint | null {
  return deps.peerUrl && deps.peerToken ? { url: deps.peerUrl, token: deps.peerToken } : null;
}

async function cursorRow(orm: Orm, peerServerId: string | null) {
  if (peerServerId) return orm.select().from(syncPeers).where(eq(syncPeers.peerServerId, peerServerId)).get();
  return orm.select().from(syncPeers).orderBy(desc(syncPeers.lastSuccessAt)).limit(1).get();
}

/** No configuration and no history: a new server that may copy a snapshot. */
async function isEmpty(db: Orm | Tx): Promise<boolean> {
  if (await db.select({ seq: changeLog.seq }).from(changeLog).limit(1).get()) return false;
  for (const { table, idColumn } of syncedEntities()) if (await db.select({ id: idColumn }).from(table).limit(1).get()) return false;
  return true;
}

async function copySnapshot(tx: Tx, snapshot: SnapshotDocument): Promise<void> {
  for (const [entity, rows] of Object.entries(snapshot.records)) {
    const spec = syncedEntity(entity);
    if (!spec) continue;
    const picked = rows.map((r) => Object.fromEntries(spec.columnKeys.filter((k) => k in r).map((k) => [k, r[k]])));
    for (const chunk of chunks(picked, 100)) await tx.insert(spec.table).values(chunk as any).onConflictDoNothing();
  }
  for (const chunk of chunks(snapshot.heads, 200)) await tx.insert(recordHeads).values(chunk).onConflictDoNothing();
  for (const chunk of chunks(snapshot.log, 100))
    await tx
      .insert(changeLog)
      .values(chunk.map(({ seq: _seq, ...entry }) => ({ ...entry, revertOf: entry.revertOf ?? null })))
      .onConflictDoNothing();
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
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
