import { describe, expect, it } from 'vitest';
import { CLOCK_SKEW_WARNING_MS, clockSkewMs, clockSkewWarning } from './clock-skew';

describe('clock skew between the two servers', () => {
  it('measures the peer against the middle of the round trip', () => {
    const sent = Date.parse('2026-11-25T10:00:00.000Z');
    expect(clockSkewMs('2026-11-25T10:10:00.100Z', sent, sent + 200)).toBe(600_000);
    expect(clockSkewMs('2026-11-25T09:59:00.100Z', sent, sent + 200)).toBe(-60_000);
  });

  it('knows nothing from a peer that sends no time, or a time that is not one', () => {
    expect(clockSkewMs(undefined, 0, 10)).toBeNull();
    expect(clockSkewMs('yesterday-ish', 0, 10)).toBeNull();
  });

  it('warns past the limit, naming the peer and the direction', () => {
    expect(clockSkewWarning(CLOCK_SKEW_WARNING_MS, 'server-b')).toBeNull();
    expect(clockSkewWarning(null, 'server-b')).toBeNull();
    expect(clockSkewWarning(600_000, 'server-b')).toMatch(/^The clock of server-b is 600 s ahead of this server's/);
    expect(clockSkewWarning(-90_000, null)).toMatch(/^The clock of the peer is 90 s behind/);
  });
});
