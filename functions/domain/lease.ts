/**
 * Terminal-connection leases: lease arithmetic and the decision which requests
 * get one. Pure; the caller reads the state and writes the outcome in one
 * serialised transaction, so that the count can never be exceeded.
 */

/** A week: long enough that a running terminal keeps its connection over a long weekend or a handler outage. */
export const DEFAULT_LEASE_TTL_SECONDS = 7 * 24 * 3600;

export interface Lease {
  mac: string;
  /** Epoch milliseconds. */
  expiresAt: number;
}

export const isLeaseValid = (lease: Pick<Lease, 'expiresAt'> | undefined | null, now: number): boolean => !!lease && lease.expiresAt > now;

export const leaseExpiry = (now: number, ttlSeconds: number): number => now + ttlSeconds * 1000;

export type GrantOutcome = 'held' | 'granted' | 'exhausted';

/**
 * Decides, in arrival order, which terminals get a lease: a terminal that holds
 * a valid lease keeps it (and uses no second one), a new terminal gets one while
 * fewer than `limit` are held, the rest are refused. A terminal asked for twice
 * in one batch counts once.
 *
 * @param held   terminals (among the requested) that hold a valid lease now
 * @param inUse  valid leases on this server now, all terminals
 */
export function decideGrants(requested: readonly string[], held: ReadonlySet<string>, inUse: number, limit: number): Map<string, GrantOutcome> {
  const outcomes = new Map<string, GrantOutcome>();
  let count = inUse;
  for (const mac of requested) {
    if (outcomes.has(mac)) continue;
    if (held.has(mac)) outcomes.set(mac, 'held');
    else if (count < limit) {
      outcomes.set(mac, 'granted');
      count++;
    } else outcomes.set(mac, 'exhausted');
  }
  return outcomes;
}
