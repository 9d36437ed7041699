import type { Logger } from '../observe/log';
import type { Metrics } from '../observe/metrics';
import { type HandlerFetch, nodeFetch } from './handler-fetch';
import {
  healthyForBoots,
  type HandlerHealth,
  type Hysteresis,
  initialHealth,
  pickHealthyHandler,
  recordFailure,
  recordRefusal,
  recordSuccess,
} from './handler-health';

export interface HandlerPoolOptions extends Hysteresis {
  probeIntervalMs: number;
  requestTimeoutMs: number;
  refusalCooldownMs: number;
  /** How handlers are reached (a plant's CA, see handler-fetch.ts); Node's fetch by default. */
  fetch?: HandlerFetch;
}

/**
 * The handlers a relay knows: probes each /healthz on an interval and keeps their health,
 * which requests also feed (a failed request counts like a failed probe).
 */
export class HandlerPool {
  private health: HandlerHealth[];
  private timer: NodeJS.Timeout | null = null;
  /** Every request to a handler goes through this: probes, configurations, check-ins. */
  readonly fetch: HandlerFetch;

  constructor(
    urls: string[],
    readonly options: HandlerPoolOptions,
    private readonly log: Logger,
    metrics: Metrics,
    private readonly now: () => number = Date.now,
  ) {
    this.health = urls.map(initialHealth);
    this.fetch = options.fetch ?? nodeFetch;
    const up = metrics.gauge('relay_handler_up', 'Whether the relay counts the handler as healthy for boots (1) or not (0).', 'min');
    const srtt = metrics.gauge('relay_handler_srtt_seconds', 'Smoothed round-trip time to the handler.', 'avg');
    metrics.onCollect(() => {
      for (const h of this.health) {
        up.set({ handler: h.url }, healthyForBoots(h, this.now()) ? 1 : 0);
        if (h.srttMs !== null) srtt.set({ handler: h.url }, h.srttMs / 1000);
      }
    });
  }

  start(): void {
    if (this.timer) return;
    void this.probeAll();
    this.timer = setInterval(() => void this.probeAll(), this.options.probeIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Handlers to try for one request, in order. */
  candidates(): string[] {
    return pickHealthyHandler(this.health, this.now());
  }

  snapshot(): Array<HandlerHealth & { healthyForBoots: boolean }> {
    const now = this.now();
    return this.health.map((h) => ({ ...h, healthyForBoots: healthyForBoots(h, now) }));
  }

  succeeded(url: string, rttMs: number): void {
    this.update(url, (h) => recordSuccess(h, rttMs, this.options));
  }

  failed(url: string, error: string): void {
    this.update(url, (h) => recordFailure(h, error, this.options));
  }

  refusedBoots(url: string, reason: string): void {
    this.update(url, (h) => recordRefusal(h, this.now(), this.options.refusalCooldownMs, reason));
  }

  async probeAll(): Promise<void> {
    await Promise.all(this.health.map((h) => this.probe(h.url)));
  }

  private async probe(url: string): Promise<void> {
    const started = performance.now();
    try {
      const res = await this.fetch(`${url}/healthz`, { signal: AbortSignal.timeout(this.options.requestTimeoutMs) });
      const body = (await res.json().catch(() => null)) as { database?: string } | null;
      if (res.status === 200 && body?.database === 'ok') this.succeeded(url, performance.now() - started);
      else this.failed(url, `healthz answered ${res.status}${body?.database ? ` (database ${body.database})` : ''}`);
    } catch (error) {
      this.failed(url, describeFetchError(error));
    }
  }

  private update(url: string, change: (h: HandlerHealth) => HandlerHealth): void {
    const index = this.health.findIndex((h) => h.url === url);
    if (index === -1) return;
    const before = this.health[index];
    const after = change(before);
    this.health[index] = after;
    const now = this.now();
    if (healthyForBoots(before, now) !== healthyForBoots(after, now)) {
      const fields = { handler: url, srttMs: after.srttMs, error: after.lastError };
      if (healthyForBoots(after, now)) this.log.info('handler_up', fields);
      else this.log.warn('handler_down', fields);
    }
  }
}

export function describeFetchError(error: unknown): string {
  if (error instanceof Error) {
    if (error.name === 'TimeoutError' || error.name === 'AbortError') return 'timeout';
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    if (cause?.code) return cause.code;
    if (cause?.message) return cause.message;
    return error.message;
  }
  return String(error);
}
