import { describe, expect, it } from 'vitest';
import { SourceRateLimiter } from './rate-limit';

const allowed = (limiter: SourceRateLimiter, source: string, count: number, nowMs: number) =>
  Array.from({ length: count }, () => limiter.take(source, nowMs)).filter((wait) => wait === 0).length;

describe('a rate limit per source address', () => {
  it('allows a burst, then one request per interval, and says how long to wait', () => {
    const limiter = new SourceRateLimiter(5, 60);
    expect(allowed(limiter, '10.0.0.1', 20, 0)).toBe(5);
    expect(limiter.take('10.0.0.1', 0)).toBe(1);
    expect(limiter.take('10.0.0.1', 400)).toBe(1);
    expect(limiter.take('10.0.0.1', 1000)).toBe(0);
    expect(limiter.take('10.0.0.1', 1000)).toBe(1);
    // Idle long enough, the whole burst again, never more.
    expect(allowed(limiter, '10.0.0.1', 20, 1_000_000)).toBe(5);
  });

  it('admits at most burst + rate × time, however fast the requests come', () => {
    const limiter = new SourceRateLimiter(10, 120);
    let admitted = 0;
    for (let t = 0; t <= 60_000; t += 5) admitted += allowed(limiter, '10.0.0.1', 3, t);
    expect(admitted).toBe(10 + 120);
  });

  it('keeps sources apart', () => {
    const limiter = new SourceRateLimiter(2, 60);
    expect(allowed(limiter, '10.0.0.1', 10, 0)).toBe(2);
    expect(allowed(limiter, '10.0.0.2', 10, 0)).toBe(2);
  });

  it('waits longer the slower the rate', () => {
    const limiter = new SourceRateLimiter(1, 2);
    expect(limiter.take('a', 0)).toBe(0);
    expect(limiter.take('a', 0)).toBe(30);
    expect(limiter.take('a', 29_500)).toBe(1);
    expect(limiter.take('a', 30_000)).toBe(0);
  });

  it('keeps at most maxSources, forgetting the one seen least recently', () => {
    const limiter = new SourceRateLimiter(1, 1, 2);
    limiter.take('a', 0);
    limiter.take('b', 0);
    limiter.take('a', 0); // refused, but seen after b
    limiter.take('c', 0); // b is forgotten
    expect(limiter.sources).toBe(2);
    expect(limiter.take('a', 0)).toBeGreaterThan(0);
    expect(limiter.take('b', 0)).toBe(0);
  });
});
