import { describe, expect, it } from 'vitest';
import { mergeRelays, RELAY_QUIET_AFTER_MS, relayHealth, relayWarning } from './relay-health';

const now = Date.parse('2027-03-01T12:00:00Z');
const ago = (ms: number) => new Date(now - ms).toISOString();

describe('relays seen', () => {
  it('merges tokens, check-ins and pending requests by relay name', () => {
    const relays = mergeRelays(
      [
        { name: 'relay-b', revoked: false },
        { name: 'relay-a', revoked: true },
      ],
      [
        { name: 'relay-b', lastSeenAt: ago(1000), terminals: 3, bootedFromCache: 1 },
        { name: 'relay-b', lastSeenAt: ago(5000), terminals: 0, bootedFromCache: 0 },
        { name: 'old-relay', lastSeenAt: ago(RELAY_QUIET_AFTER_MS * 2), terminals: 2, bootedFromCache: 0 },
      ],
    );
    expect(relays.map((r) => [r.name, r.token, r.terminals])).toEqual([
      ['relay-a', 'revoked', 0],
      ['relay-b', 'active', 3],
      ['old-relay', 'none', 2],
    ]);
    expect(relays[1].lastSeenAt).toBe(ago(1000));
    expect(relays.map((r) => relayHealth(r, now))).toEqual(['revoked', 'active', 'quiet']);
    expect(relayWarning(relays[1])).toBe('1 terminal last booted from its cache: it could not reach a handler.');
    expect(relayWarning(relays[2])).toBeNull();
  });

  it('names a relay token never used', () => {
    expect(relayHealth({ name: 'r', token: 'active', lastSeenAt: null, terminals: 0, bootedFromCache: 0 }, now)).toBe('never seen');
  });
});
