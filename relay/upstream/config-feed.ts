import { readFile } from 'node:fs/promises';
import type { BootFirmware } from '../../functions/domain/boot-document';
import { type BootFeedPage, bootFeedPageSchema } from '../../functions/domain/boot-feed';
import { parseMac } from '../../functions/domain/mac';
import { type BootOffers, mayOffer } from '../boot/config-source';
import { writeFileAtomic } from '../files/atomic-write';
import type { Logger } from '../observe/log';
import type { Counter, Gauge, Metrics } from '../observe/metrics';
import type { ConfigCache } from './config-cache';
import { etagOf, type FeedPlan, planFeedPage, planWalkEnd } from './feed-plan';
import { parseProblem } from './handler-config-source';
import { describeFetchError, type HandlerPool } from './handler-pool';

export interface ConfigFeedOptions {
  relayId: string;
  token: string | undefined;
  requestTimeoutMs: number;
  /** How long after one round the next one asks whether anything changed. */
  pollIntervalMs: number;
  /** Documents a page asks for. */
  pageSize: number;
  /** Where the position in the feed survives a restart (and other workers read the status). */
  stateFile: string;
  /**
   * After the first round, and after every round that changed the cache: the firmware the new
   * documents name (all held documents' after the first round), and whether a held document's
   * firmware changed or went (older files may be unused). Readiness waits for the first call.
   */
  afterChanges: (change: { firmware: BootFirmware[]; sweep: boolean }) => Promise<void>;
}

/** The cache as /healthz shows it. */
export interface ConfigFeedStatus {
  /** Filled from a handler, or no handler could fill it: PXE is answered. */
  ready: boolean;
  terminals: number;
  /** The handler whose feed the cache follows. */
  handler: string | null;
  /** When the cache last changed. */
  changedAt: string | null;
  /** When a handler's feed was last read through (the process that follows it only). */
  polledAt: string | null;
  lastError: string | null;
}

interface SavedState {
  handler: string | null;
  cursor: string | null;
  ready: boolean;
  terminals: number;
  changedAt: string | null;
}

class FeedError extends Error {}

/** Pages of one round at most: 5 million documents at the default page size. */
const MAX_PAGES = 10_000;
/** First rounds tried while a handler counts as healthy, before the relay is ready with what it holds. */
const FIRST_FILL_ROUNDS = 5;
/** Cache files written at once. */
const WRITES_AT_ONCE = 8;

/**
 * Keeps the last-known-good configuration of every configured terminal on this relay, not only
 * of those that booted through it: follows a handler's feed (GET /api/v1/boot/documents) into
 * the cache, then asks every `pollIntervalMs` what changed after its cursor (a poll that finds
 * nothing costs the handler next to nothing). It stays with one handler while that one is
 * healthy; the other database answers a foreign cursor with a walk over every document, after
 * which whatever the walk did not name is dropped. Runs in the one process of a relay that runs
 * its singletons, which answers proxyDHCP: `mayOffer` is this relay's answer to whether it should.
 */
export class ConfigFeed implements BootOffers {
  private state: SavedState = { handler: null, cursor: null, ready: false, terminals: 0, changedAt: null };
  private ready = false;
  private polledAt: string | null = null;
  private lastError: string | null = null;
  /** The last failure said per handler, so that a handler down for an hour is logged once. */
  private readonly failures = new Map<string, string>();
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly abort = new AbortController();
  private readonly rounds: Counter;
  private readonly changes: Counter;
  private readonly terminals: Gauge;
  readonly whenReady: Promise<void>;
  private markReady!: () => void;

  constructor(
    private readonly pool: HandlerPool,
    private readonly cache: ConfigCache,
    private readonly options: ConfigFeedOptions,
    private readonly log: Logger,
    metrics: Metrics,
  ) {
    this.whenReady = new Promise((resolve) => (this.markReady = resolve));
    this.rounds = metrics.counter('relay_config_feed_rounds_total', 'Rounds of following the handlers\' feed of boot documents, by outcome (unchanged, changed, unavailable).');
    this.changes = metrics.counter('relay_config_feed_changes_total', 'Cached configurations written or removed from the handlers\' feed, by kind.');
    this.terminals = metrics.gauge('relay_config_cache_terminals', 'Terminals whose last-known-good configuration this relay holds.', 'max');
    metrics.onCollect(() => this.terminals.set({}, this.cache.heldCount));
  }

  /** Loads what the cache holds, fills it (the first round), then follows the feed. */
  start(): void {
    const started = performance.now();
    void (async () => {
      const loaded = await this.cache.load();
      this.state = { ...((await readSavedState(this.options.stateFile)) ?? this.state), ready: false };
      if (loaded.unreadable.length) {
        // A file left empty or cut short (a crash, a full disk): dropped, and a walk brings everything back.
        this.log.warn('config_cache_unreadable', { macs: loaded.unreadable.slice(0, 20), count: loaded.unreadable.length, action: 'walk the feed again' });
        for (const mac of loaded.unreadable) await this.cache.remove(mac);
        this.state.cursor = null;
      }
      await this.save();
      const firstRound = await this.fill();
      // Ready once the firmware of everything held is verified; the sweep waits for its interval.
      await this.settle({ firmware: this.cache.heldMacs().map((mac) => this.cache.heldConfig(mac)?.firmware ?? null).filter((f) => f !== null), sweep: false });
      this.log.info('config_cache_ready', { terminals: this.cache.heldCount, handler: firstRound === 'unavailable' ? null : this.state.handler, ms: Math.round(performance.now() - started) });
      this.ready = true;
      await this.save();
      this.markReady();
      this.schedule();
    })().catch((error) => {
      // Never left unready for a fault of its own: PXE is answered from what the cache holds.
      this.log.error('config_feed_failed', { error });
      this.ready = true;
      this.markReady();
      this.schedule();
    });
  }

  /**
   * The first round, tried again while a handler counts as healthy (a busy handler may time out
   * once), FIRST_FILL_ROUNDS times at most: then the relay answers PXE with what it holds.
   */
  private async fill(): Promise<'unchanged' | 'changed' | 'unavailable'> {
    let outcome = await this.round();
    for (let i = 1; i < FIRST_FILL_ROUNDS && outcome === 'unavailable' && !this.stopped; i++) {
      const answering = this.pool.snapshot().some((h) => h.healthyForBoots && this.failures.get(h.url) !== 'handler_has_no_feed');
      if (!answering) break;
      await new Promise((resolve) => setTimeout(resolve, Math.min(this.options.pollIntervalMs, 1000)));
      outcome = await this.round();
    }
    return outcome;
  }

  stop(): void {
    this.stopped = true;
    this.abort.abort();
    if (this.timer) clearTimeout(this.timer);
  }

  mayOffer(macText: string): boolean {
    const mac = parseMac(macText);
    if (!mac) return false;
    return mayOffer({
      ready: this.ready,
      holdsConfiguration: this.cache.holds(mac),
      handlerAnswers: this.pool.snapshot().some((h) => h.healthyForBoots),
    });
  }

  status(): ConfigFeedStatus {
    return { ready: this.ready, terminals: this.cache.heldCount, handler: this.state.handler, changedAt: this.state.changedAt, polledAt: this.polledAt, lastError: this.lastError };
  }

  /** The status a worker that does not follow the feed reads from the follower's state file. */
  static async savedStatus(stateFile: string): Promise<ConfigFeedStatus | null> {
    const saved = await readSavedState(stateFile);
    return saved && { ready: saved.ready, terminals: saved.terminals, handler: saved.handler, changedAt: saved.changedAt, polledAt: null, lastError: null };
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.round()
        .catch((error) => this.log.error('config_feed_failed', { error }))
        .finally(() => this.schedule());
    }, this.options.pollIntervalMs);
    this.timer.unref();
  }

  /** One round: the first handler that answers brings the cache up to date. */
  private async round(): Promise<'unchanged' | 'changed' | 'unavailable'> {
    for (const url of this.handlerOrder()) {
      if (this.stopped) break;
      try {
        const changed = await this.follow(url);
        this.failures.delete(url);
        this.lastError = null;
        this.polledAt = new Date().toISOString();
        const outcome = changed ? 'changed' : 'unchanged';
        this.rounds.inc({ outcome });
        return outcome;
      } catch (error) {
        if (this.stopped) break;
        const reason = error instanceof FeedError ? error.message : describeFetchError(error);
        this.lastError = `${url}: ${reason}`;
        if (this.failures.get(url) !== reason) this.log.warn('config_feed_unavailable', { handler: url, reason });
        this.failures.set(url, reason);
      }
    }
    this.rounds.inc({ outcome: 'unavailable' });
    return 'unavailable';
  }

  /** The handler the cursor belongs to while it is healthy (a switch costs a walk), then the pool's order. */
  private handlerOrder(): string[] {
    const order = this.pool.candidates();
    const current = this.state.handler;
    const healthy = this.pool.snapshot().some((h) => h.url === current && h.healthyForBoots);
    return current && healthy ? [current, ...order.filter((url) => url !== current)] : order;
  }

  /** Reads the handler's feed through from the cursor; true when the cache changed. */
  private async follow(url: string): Promise<boolean> {
    let cursor = this.state.cursor;
    let seen: Set<string> | null = null;
    const firmware: BootFirmware[] = [];
    let sweep = false;
    let written = 0;
    let removed = 0;
    for (let pages = 0; pages < MAX_PAGES; pages++) {
      const page = await this.page(url, cursor);
      if (page.reset) seen = new Set();
      const plan = planFeedPage(page, (mac) => this.cache.heldConfig(mac), seen);
      await this.apply(url, plan);
      written += plan.write.length;
      removed += plan.remove.length;
      firmware.push(...plan.firmware);
      sweep ||= plan.firmwareDropped;
      cursor = page.cursor;
      // During a walk the old cursor stays saved: a walk cut short is started again, not resumed.
      if (!seen && (cursor !== this.state.cursor || url !== this.state.handler)) await this.save({ handler: url, cursor, changed: plan.write.length + plan.remove.length > 0 });
      if (!page.more) break;
    }
    if (seen) {
      const end = planWalkEnd(this.cache.heldMacs(), seen, (mac) => this.cache.heldConfig(mac));
      await this.apply(url, end);
      removed += end.remove.length;
      sweep ||= end.firmwareDropped;
      await this.save({ handler: url, cursor, changed: written + removed > 0 });
    }
    if (!written && !removed) return false;
    this.changes.inc({ kind: 'written' }, written);
    this.changes.inc({ kind: 'removed' }, removed);
    this.log.info('config_feed_synced', { handler: url, written, removed, walk: seen !== null, terminals: this.cache.heldCount });
    // The first round settles in start(), with the firmware of everything held.
    if (this.ready) await this.settle({ firmware, sweep });
    return true;
  }

  private async page(url: string, cursor: string | null): Promise<BootFeedPage> {
    const query = new URLSearchParams({ limit: String(this.options.pageSize) });
    if (cursor) query.set('after', cursor);
    const headers: Record<string, string> = { accept: 'application/json', 'x-tandem-relay': this.options.relayId };
    if (this.options.token) headers.authorization = `Bearer ${this.options.token}`;
    const res = await this.pool.fetch(`${url}/api/v1/boot/documents?${query}`, {
      headers,
      signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.options.requestTimeoutMs)]),
    });
    const body = await res.text();
    // A handler from before the feed: boots still fill the cache terminal by terminal.
    if (res.status === 404) throw new FeedError('handler_has_no_feed');
    if (res.status !== 200) {
      const code = parseProblem(body)?.code;
      throw new FeedError(`http_${res.status}${code ? ` ${code}` : ''}`);
    }
    let parsed: ReturnType<typeof bootFeedPageSchema.safeParse>;
    try {
      parsed = bootFeedPageSchema.safeParse(JSON.parse(body));
    } catch {
      throw new FeedError('invalid_json');
    }
    if (!parsed.success) throw new FeedError(`invalid_page: ${parsed.error.issues[0]?.path.join('.')} ${parsed.error.issues[0]?.message}`);
    return parsed.data;
  }

  private async apply(url: string, plan: FeedPlan): Promise<void> {
    const fetchedAt = new Date().toISOString();
    const queue = [...plan.write];
    // Written without a sync each; the cache flushes once before the position is saved.
    await Promise.all(
      Array.from({ length: Math.min(WRITES_AT_ONCE, queue.length) }, async () => {
        for (let document = queue.shift(); document; document = queue.shift()) {
          await this.cache.write({ mac: document.mac, etag: etagOf(document), fetchedAt, handler: url, document }, { batched: true });
        }
      }),
    );
    for (const mac of plan.remove) await this.cache.remove(mac, { batched: true });
    if (plan.remove.length) this.log.info('config_cache_dropped', { macs: plan.remove.slice(0, 20), count: plan.remove.length, reason: 'removed_on_handler' });
  }

  private async settle(change: { firmware: BootFirmware[]; sweep: boolean }): Promise<void> {
    try {
      await this.options.afterChanges(change);
    } catch (error) {
      this.log.error('config_feed_firmware_failed', { error });
    }
  }

  private async save(position?: { handler: string; cursor: string | null; changed: boolean }): Promise<void> {
    // The position moves on only once what came before it is on disk: after a crash, the pages
    // since the saved position come again, and a file left old or empty is written again.
    await this.cache.flush();
    if (position) {
      this.state.handler = position.handler;
      this.state.cursor = position.cursor;
      if (position.changed) this.state.changedAt = new Date().toISOString();
    }
    this.state.ready = this.ready;
    this.state.terminals = this.cache.heldCount;
    await writeFileAtomic(this.options.stateFile, JSON.stringify(this.state)).catch((error) => this.log.warn('config_feed_state_unsaved', { error }));
  }
}

async function readSavedState(file: string): Promise<SavedState | null> {
  try {
    const raw = JSON.parse(await readFile(file, 'utf8')) as Partial<SavedState>;
    return {
      handler: typeof raw.handler === 'string' ? raw.handler : null,
      cursor: typeof raw.cursor === 'string' ? raw.cursor : null,
      ready: raw.ready === true,
      terminals: typeof raw.terminals === 'number' ? raw.terminals : 0,
      changedAt: typeof raw.changedAt === 'string' ? raw.changedAt : null,
    };
  } catch {
    return null;
  }
}
