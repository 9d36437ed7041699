/**
 * The relays this server has seen, from what they leave here: a relay token (by its name), the
 * check-ins of the terminals it served, and the unknown MACs it asked for. A relay that served
 * boots from its cache could not reach a handler at the time.
 */
export interface RelaySeen {
  name: string;
  /** A relay token of this name exists here; revoked when it was revoked. */
  token: 'active' | 'revoked' | 'none';
  /** The latest check-in or pending request it made here (ISO), or null. */
  lastSeenAt: string | null;
  terminals: number;
  bootedFromCache: number;
}

export type RelayHealth = 'active' | 'quiet' | 'never seen' | 'revoked';

/** A relay that made no request for this long is quiet (terminals may simply not be rebooting). */
export const RELAY_QUIET_AFTER_MS = 3_600_000;

export function relayHealth(relay: RelaySeen, now: number): RelayHealth {
  if (relay.token === 'revoked') return 'revoked';
  if (!relay.lastSeenAt) return 'never seen';
  return now - Date.parse(relay.lastSeenAt) < RELAY_QUIET_AFTER_MS ? 'active' : 'quiet';
}

/** What an admin should look at about a relay, or null. */
export function relayWarning(relay: RelaySeen): string | null {
  if (relay.bootedFromCache === 0) return null;
  const n = relay.bootedFromCache;
  return `${n} terminal${n === 1 ? '' : 's'} last booted from its cache: it could not reach a handler.`;
}

/**
 * One entry per relay name from the three sources, tokens first, then by name. `seen` holds the
 * check-ins and pending requests per relay name.
 */
export function mergeRelays(
  tokens: { name: string; revoked: boolean }[],
  seen: { name: string; lastSeenAt: string | null; terminals: number; bootedFromCache: number }[],
): RelaySeen[] {
  const byName = new Map<string, RelaySeen>();
  for (const t of tokens) byName.set(t.name, { name: t.name, token: t.revoked ? 'revoked' : 'active', lastSeenAt: null, terminals: 0, bootedFromCache: 0 });
  for (const s of seen) {
    const relay = byName.get(s.name) ?? { name: s.name, token: 'none' as const, lastSeenAt: null, terminals: 0, bootedFromCache: 0 };
    relay.terminals += s.terminals;
    relay.bootedFromCache += s.bootedFromCache;
    if (s.lastSeenAt && (!relay.lastSeenAt || s.lastSeenAt > relay.lastSeenAt)) relay.lastSeenAt = s.lastSeenAt;
    byName.set(s.name, relay);
  }
  return [...byName.values()].sort((a, b) => (a.token === 'none') === (b.token === 'none') ? a.name.localeCompare(b.name) : a.token === 'none' ? 1 : -1);
}
