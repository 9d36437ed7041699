/**
 * How far the peer's clock is from this server's. Concurrent edits are settled by their
 * clock stamps, so a server whose clock runs ahead (a dead RTC battery, no NTP) wins every
 * such settlement until the clocks agree: an admin must hear of it.
 */
export const CLOCK_SKEW_WARNING_MS = 60_000;

/**
 * The peer's clock minus this server's, from the time the peer put in its answer and this
 * server's clock when the request left and when the answer came (the peer answered in between).
 */
export function clockSkewMs(peerTime: string | undefined, sentAtMs: number, receivedAtMs: number): number | null {
  const peer = peerTime === undefined ? NaN : Date.parse(peerTime);
  if (Number.isNaN(peer)) return null;
  return Math.round(peer - (sentAtMs + receivedAtMs) / 2);
}

/** A sentence for the sync status when the clocks differ by more than the limit, else null. */
export function clockSkewWarning(skewMs: number | null, peerServerId: string | null): string | null {
  if (skewMs === null || Math.abs(skewMs) <= CLOCK_SKEW_WARNING_MS) return null;
  const seconds = Math.round(Math.abs(skewMs) / 1000);
  const peer = peerServerId ?? 'the peer';
  return `The clock of ${peer} is ${seconds} s ${skewMs > 0 ? 'ahead of' : 'behind'} this server's: concurrent edits are settled by clock, so set both servers' clocks right (NTP).`;
}
