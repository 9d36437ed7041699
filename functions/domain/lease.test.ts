import { describe, expect, it } from 'vitest';
import { decideGrants, isLeaseValid, leaseExpiry } from './lease';

describe('lease arithmetic', () => {
  it('is valid up to, not including, its expiry', () => {
    const expiresAt = leaseExpiry(1_000, 60);
    expect(expiresAt).toBe(61_000);
    expect(isLeaseValid({ expiresAt }, 60_999)).toBe(true);
    expect(isLeaseValid({ expiresAt }, 61_000)).toBe(false);
    expect(isLeaseValid(null, 0)).toBe(false);
  });
});

describe('decideGrants', () => {
  it('grants in arrival order up to the limit and refuses the rest', () => {
    const outcomes = decideGrants(['a', 'b', 'c', 'd'], new Set(), 1, 3);
    expect([...outcomes]).toEqual([
      ['a', 'granted'],
      ['b', 'granted'],
      ['c', 'exhausted'],
      ['d', 'exhausted'],
    ]);
  });

  it('lets a terminal that holds a lease keep it without using a second one', () => {
    const outcomes = decideGrants(['held', 'new'], new Set(['held']), 3, 3);
    expect(outcomes.get('held')).toBe('held');
    expect(outcomes.get('new')).toBe('exhausted');
  });

  it('counts a terminal asked for twice in one batch once', () => {
    const outcomes = decideGrants(['a', 'a', 'b'], new Set(), 0, 2);
    expect([...outcomes.values()]).toEqual(['granted', 'granted']);
  });

  it('never grants more than the limit, whatever the batch', () => {
    const requested = Array.from({ length: 500 }, (_, i) => `t${i % 150}`);
    const granted = [...decideGrants(requested, new Set(), 0, 100).values()].filter((o) => o === 'granted');
    expect(granted).toHaveLength(100);
  });

  it('grants nothing when the limit is already reached (or the server is licensed for none)', () => {
    expect(decideGrants(['a'], new Set(), 5, 5).get('a')).toBe('exhausted');
    expect(decideGrants(['a'], new Set(), 0, 0).get('a')).toBe('exhausted');
  });
});
