import { describe, expect, it } from 'vitest';
import { needsTouch, newSessionTimes, sameSecret, SESSION_IDLE_MS, SESSION_LIFETIME_MS, SESSION_TOUCH_MS, sessionVerdict } from './dashboard-session';

describe('dashboard session lifetime', () => {
  const start = Date.parse('2027-03-01T08:00:00Z');

  it('is valid while used, until its lifetime ends', () => {
    const s = newSessionTimes(start);
    expect(sessionVerdict(s, start + 1000)).toBe('valid');
    // Used every 30 minutes: never idle, still ends after the lifetime.
    let t = start;
    const used = { ...s };
    while (t + 30 * 60_000 < start + SESSION_LIFETIME_MS) {
      t += 30 * 60_000;
      expect(sessionVerdict(used, t)).toBe('valid');
      used.lastSeenAt = t;
    }
    expect(sessionVerdict(used, start + SESSION_LIFETIME_MS)).toBe('expired');
  });

  it('ends when left idle', () => {
    const s = newSessionTimes(start);
    expect(sessionVerdict(s, start + SESSION_IDLE_MS - 1)).toBe('valid');
    expect(sessionVerdict(s, start + SESSION_IDLE_MS)).toBe('idle');
  });

  it('writes the last-seen time at most once a minute', () => {
    const s = newSessionTimes(start);
    expect(needsTouch(s, start + SESSION_TOUCH_MS - 1)).toBe(false);
    expect(needsTouch(s, start + SESSION_TOUCH_MS)).toBe(true);
  });

  it('compares secrets exactly', () => {
    expect(sameSecret('abc', 'abc')).toBe(true);
    expect(sameSecret('abc', 'abd')).toBe(false);
    expect(sameSecret('abc', 'abcd')).toBe(false);
  });
});
