import type { Log } from '../deps';
import { clockSkewMs, clockSkewWarning } from '../domain/clock-skew';
import type { ChangesPage } from './wire';

/**
 * How far the peer's clock is from this server's, measured by the pages it answers. Concurrent
 * edits are settled by clock stamps, so a peer whose clock runs far ahead would win them all:
 * the skew is kept for the status and metrics, and logged when it passes the limit or comes back.
 */
export class PeerClock {
  skewMs: number | null = null;

  constructor(
    private readonly now: () => Date,
    private readonly log: Log,
  ) {}

  /** A page from the peer, with its clock measured against this server's on the way. */
  async timed(request: () => Promise<ChangesPage>): Promise<ChangesPage> {
    const sentAt = this.now().getTime();
    const page = await request();
    this.note(clockSkewMs(page.serverTime, sentAt, this.now().getTime()), page.serverId);
    return page;
  }

  warning(peerServerId: string | null): string | null {
    return clockSkewWarning(this.skewMs, peerServerId);
  }

  private note(skewMs: number | null, peerServerId: string): void {
    if (skewMs === null) return;
    const before = clockSkewWarning(this.skewMs, peerServerId);
    const now = clockSkewWarning(skewMs, peerServerId);
    this.skewMs = skewMs;
    if (now && !before) this.log({ level: 'warn', msg: 'peer clock skew', peer: peerServerId, skewMs, detail: now });
    else if (before && !now) this.log({ msg: 'peer clock agrees again', peer: peerServerId, skewMs });
  }
}
