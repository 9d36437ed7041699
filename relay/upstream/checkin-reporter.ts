import type { Logger } from '../observe/log';
import type { Counter, Metrics } from '../observe/metrics';
import { describeFetchError, type HandlerPool } from './handler-pool';

export interface Checkin {
  mac: string;
  firmwareVersion: string | null;
  source: 'live' | 'cache';
}

/**
 * Tells a handler about each boot. Best effort: it never delays or fails a boot, and one boot
 * (config, script, firmware fetched within a short time) is reported once.
 */
export class CheckinReporter {
  private readonly lastSent = new Map<string, number>();
  private readonly sent: Counter;

  constructor(
    private readonly pool: HandlerPool,
    private readonly options: { relayId: string; token: string | undefined; requestTimeoutMs: number; debounceMs: number },
    private readonly log: Logger,
    metrics: Metrics,
    private readonly now: () => number = Date.now,
  ) {
    this.sent = metrics.counter('relay_checkins_total', 'Boot check-ins sent to handlers, by outcome.');
  }

  report(checkin: Checkin): void {
    const now = this.now();
    const key = `${checkin.mac}|${checkin.source}|${checkin.firmwareVersion}`;
    const last = this.lastSent.get(key);
    if (last !== undefined && now - last < this.options.debounceMs) return;
    this.lastSent.set(key, now);
    if (this.lastSent.size > 10000) {
      for (const [k, t] of this.lastSent) if (now - t >= this.options.debounceMs) this.lastSent.delete(k);
    }
    void this.send(checkin).catch(() => {});
  }

  private async send(checkin: Checkin): Promise<void> {
    const body = JSON.stringify({ mac: checkin.mac, relayId: this.options.relayId, firmwareVersion: checkin.firmwareVersion, source: checkin.source });
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-tandem-relay': this.options.relayId };
    if (this.options.token) headers.authorization = `Bearer ${this.options.token}`;
    for (const url of this.pool.candidates()) {
      try {
        const res = await this.pool.fetch(`${url}/api/v1/boot/checkins`, { method: 'POST', headers, body, signal: AbortSignal.timeout(this.options.requestTimeoutMs) });
        await res.arrayBuffer().catch(() => {});
        if (res.ok) {
          this.sent.inc({ outcome: 'sent' });
          // The handler renews the terminal's licence lease with the check-in, and says how it went.
          const lease = res.headers.get('tandem-lease');
          if (lease === 'refused') this.log.warn('terminal_lease_refused', { handler: url, mac: checkin.mac });
          return;
        }
        this.log.warn('checkin_refused', { handler: url, mac: checkin.mac, status: res.status });
      } catch (error) {
        this.log.warn('checkin_failed', { handler: url, mac: checkin.mac, error: describeFetchError(error) });
      }
    }
    this.sent.inc({ outcome: 'failed' });
  }
}
