import type { AppDeps } from '../deps';
import { DomainError } from '../domain/errors';
import type { Licensing } from '../services/license';
import { Pair } from './pair';
import { describeFailure } from './peer-client';
import { emptyPull, pullChanges, type PullResult } from './pull';
import { recoverOwnChanges } from './recover';
import { syncStatus, type SyncStatus } from './status';

export type { PullResult } from './pull';

/** Pull rounds requested while one runs are folded into at most this many more. */
const MAX_ROUNDS = 100;

/**
 * Workers forbid a request to wait on I/O another request started: there every
 * pull and poke is the caller's own (and the Worker's waitUntil keeps it alive),
 * where on Node one pull at a time is shared by every caller.
 */
const onWorkers = () => typeof navigator !== 'undefined' && navigator.userAgent === 'Cloudflare-Workers';

const skipped = (reason: string): PullResult => ({ ...emptyPull(), outcome: 'skipped', reason });

/**
 * When synchronisation runs, for one server: pulls the peer's changes (one pull
 * at a time, requests made meanwhile folded into one more round), pokes the peer
 * after each committed local write, and answers "synchronise now". What a pull
 * does is in `pull.ts`, the status in `status.ts`. Runtime-neutral: fetch only.
 */
export class SyncEngine {
  readonly pair: Pair;
  private running: Promise<PullResult> | null = null;
  private pullWanted = false;
  private poking: Promise<void> | null = null;
  private pokeWanted = false;
  private readonly shared = !onWorkers();
  private readonly ownWork = new Set<Promise<unknown>>();

  constructor(deps: AppDeps, licensing: Licensing) {
    this.pair = new Pair(deps, licensing);
    deps.db.onCommitted('configuration', () => this.notifyLocalChange());
  }

  get counters() {
    return this.pair.counters;
  }

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

  /** The safety-net timer on Node: a pull every `intervalMs`. Returns the stop function. */
  startTimer(intervalMs: number): () => void {
    const timer = setInterval(() => void this.requestPull(), intervalMs);
    return () => clearInterval(timer);
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
    this.pair.memory.served = { peerServerId, cursor, at: this.pair.deps.now().toISOString() };
  }

  status(): Promise<SyncStatus> {
    return syncStatus(this.pair);
  }

  /** "Synchronise now": pull if this server pulls, else make the peer pull from it and report its pull. */
  async runNow(): Promise<PullResult & { peerPull?: Record<string, unknown> }> {
    const { pair } = this;
    const { mode, direction } = await pair.direction();
    if (!direction.pulls && !direction.serves)
      throw new DomainError(409, 'sync_not_licensed', `Nothing to synchronise: ${direction.reason}.`, { mode });
    if (!pair.peer) throw new DomainError(409, 'no_peer', 'No peer is configured: set TANDEM_PEER_URL and TANDEM_PEER_TOKEN.');
    if (await pair.paused()) throw new DomainError(409, 'sync_paused', 'Synchronisation is paused on this server; resume it first (POST /api/v1/sync/resume).');
    if (!direction.pulls) {
      let peerPull: Record<string, unknown>;
      try {
        peerPull = await (await pair.client()).pokeAndWait();
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
        const { direction } = await this.pair.direction();
        if (!direction.serves || !this.pair.peer) return;
        await (await this.pair.client()).poke();
      }
    } catch {
      // The peer is down or refuses: its timer, and its pull at start, catch up.
    } finally {
      if (this.shared) this.poking = null;
    }
  }

  private async pullOnce(): Promise<PullResult> {
    const { pair } = this;
    const { deps, memory, counters } = pair;
    const { direction } = await pair.direction();
    // A server restored from a backup first takes back its own changes, whichever way changes flow.
    if ((direction.pulls || direction.serves) && pair.peer && !(await pair.paused())) {
      const failure = await this.recoverIfRestored();
      if (failure) return failure;
    }
    if (!direction.pulls) return skipped(direction.reason);
    if (!pair.peer) return skipped('no peer configured: set TANDEM_PEER_URL and TANDEM_PEER_TOKEN');
    if (await pair.paused()) return skipped('synchronisation is paused on this server');

    memory.lastAttemptAt = deps.now().toISOString();
    const result = emptyPull();
    try {
      await pullChanges(pair, await pair.client(), result);
      memory.lastSuccessAt = deps.now().toISOString();
      memory.lastError = null;
      counters.lastSuccessSeconds = deps.now().getTime() / 1000;
      return result;
    } catch (err) {
      return this.failed(err, 'sync pull failed', result);
    }
  }

  /** Recovery after a restore (`recover.ts`); a failed result when the peer cannot give the changes back yet. */
  private async recoverIfRestored(): Promise<PullResult | null> {
    try {
      await recoverOwnChanges(this.pair, await this.pair.client());
      return null;
    } catch (err) {
      return this.failed(err, 'taking back changes after a restore failed; retried with the next pull', emptyPull());
    }
  }

  /** A pull that failed: counted, remembered for the status, logged. */
  private failed(err: unknown, msg: string, result: PullResult): PullResult {
    const { deps, memory, counters } = this.pair;
    counters.pullFailures++;
    const failure = describeFailure(err);
    memory.lastError = { ...failure, at: deps.now().toISOString() };
    deps.log({ level: 'warn', msg, ...failure });
    return { ...result, outcome: 'failed', error: failure };
  }
}
