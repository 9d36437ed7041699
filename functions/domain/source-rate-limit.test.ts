import { describe, expect, it } from 'vitest';
import { SourceRateLimiter } from './source-rate-limit';

describe('a rate limit per source', () => {
  it('lets a burst through, then one request per interval, and tells how long to wait', () => {
    const limit = new SourceRateLimiter(3, 60);
    const t = 1_000_000;
    expect([limit.take('a', t), limit.take('a', t), limit.take('a', t)]).toEqual([0, 0, 0]);
    expect(limit.take('a', t)).toBe(1);
    expect(limit.wait('a', t)).toBe(1);
    expect(limit.take('a', t + 1000)).toBe(0);
    expect(limit.take('a', t + 1000)).toBe(1);
  });

  it('keeps other sources apart', () => {
    const limit = new SourceRateLimiter(1, 1);
    expect(limit.take('a', 0)).toBe(0);
    expect(limit.take('a', 0)).toBeGreaterThan(0);
    expect(limit.take('b', 0)).toBe(0);
    expect(limit.wait('c', 0)).toBe(0);
  });

  it('forgets the least recently seen source past its bound, so a spoofed flood cannot grow it', () => {
    const limit = new SourceRateLimiter(1, 1, 100);
    for (let i = 0; i < 10_000; i++) limit.take(`10.0.${i >> 8}.${i & 255}`, 0);
    expect(limit.sources).toBe(100);
  });
});
