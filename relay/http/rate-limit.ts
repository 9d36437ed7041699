/**
 * A rate limit per source address: `burst` requests at once, then `perMinute` a minute. A token
 * bucket kept as one number per source (GCRA): the time at which its bucket would be full again.
 * Pure: the caller passes the clock. At most maxSources are kept, least recently seen forgotten
 * first; a forgotten source starts again with a full bucket, which is all it could have asked for
 * after waiting anyway.
 */
export class SourceRateLimiter {
  /** Source → when its bucket is full again (ms); re-inserted on each request, so least recently seen first. */
  private readonly fullAt = new Map<string, number>();
  private readonly intervalMs: number;
  private readonly toleranceMs: number;

  constructor(
    burst: number,
    perMinute: number,
    private readonly maxSources = 10_000,
  ) {
    this.intervalMs = 60_000 / perMinute;
    this.toleranceMs = this.intervalMs * (burst - 1);
  }

  /** 0 when source may go on (the request is counted), else the seconds until it may. */
  take(source: string, nowMs: number): number {
    const known = this.fullAt.get(source);
    const fullAt = Math.max(known ?? nowMs, nowMs);
    const early = fullAt - this.toleranceMs - nowMs;
    // Seen now, refused or not: a source that keeps flooding is never the one forgotten.
    if (known !== undefined) this.fullAt.delete(source);
    else if (this.fullAt.size >= this.maxSources) this.fullAt.delete(this.fullAt.keys().next().value!);
    if (early > 0) {
      this.fullAt.set(source, fullAt);
      return Math.ceil(early / 1000);
    }
    this.fullAt.set(source, fullAt + this.intervalMs);
    return 0;
  }

  get sources(): number {
    return this.fullAt.size;
  }
}
