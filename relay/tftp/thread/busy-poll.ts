/**
 * When the transfer thread polls its sockets instead of sleeping. Going to sleep and being woken
 * for the next ACK costs the relay and its client more than the ACK's own handling, so while a
 * few clients answer within the window (a terminal on a fast LAN; a client on the same host), the
 * thread keeps asking the kernel for a while before it sleeps. With many transfers the thread is
 * busy anyway and the cores are better left to others; clients slower than the window gain nothing.
 */
export const BUSY_POLL_MAX_TRANSFERS = 4;
/** Gaps longer than this are idle time, not a client's answer time. */
const IDLE_GAP_US = 10_000;

export class BusyPoll {
  private lastPacketMs = Number.NEGATIVE_INFINITY;
  /** Smoothed gap between one batch of packets and the next, in µs. */
  private gapUs = Number.POSITIVE_INFINITY;

  constructor(private readonly windowUs: number) {}

  /** Packets arrived at nowMs. */
  onPackets(nowMs: number): void {
    const gap = (nowMs - this.lastPacketMs) * 1000;
    if (gap < IDLE_GAP_US) this.gapUs = this.gapUs === Number.POSITIVE_INFINITY ? gap : this.gapUs * 0.875 + gap * 0.125;
    this.lastPacketMs = nowMs;
  }

  /** Whether to look again at once rather than sleep. */
  shouldPoll(nowMs: number, transfers: number): boolean {
    return (
      this.windowUs > 0 &&
      transfers > 0 &&
      transfers <= BUSY_POLL_MAX_TRANSFERS &&
      this.gapUs <= this.windowUs &&
      (nowMs - this.lastPacketMs) * 1000 < this.windowUs
    );
  }
}
