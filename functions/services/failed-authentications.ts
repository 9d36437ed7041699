import type { Log } from '../deps';
import { SourceRateLimiter } from '../domain/source-rate-limit';

/** Failed authentications a source may make at once, then a minute. */
const BURST = 300;
const PER_MINUTE = 120;

/**
 * Failed authentications by source address: each is logged (never with the token) and counted;
 * a source that keeps failing is refused for a while, valid token or not, so that tokens cannot
 * be guessed at speed. Other sources are not affected.
 */
export class FailedAuthentications {
  private readonly limiter = new SourceRateLimiter(BURST, PER_MINUTE);
  /** Since this process started, for /metrics. */
  total = 0;

  constructor(
    private readonly now: () => Date,
    private readonly log: Log,
  ) {}

  /** Seconds before this source may try again; 0 when it may now. */
  wait(source: string): number {
    return this.limiter.wait(source, this.now().getTime());
  }

  note(source: string, reason: string, path: string): void {
    this.total++;
    const wait = this.limiter.take(source, this.now().getTime());
    this.log({ level: 'warn', msg: wait ? 'authentication failed; source refused for a while' : 'authentication failed', source, reason, path, ...(wait ? { refusedForSeconds: wait } : {}) });
  }
}
