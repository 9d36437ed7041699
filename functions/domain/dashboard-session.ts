/**
 * The lifetime of a dashboard session, pure: a session lasts at most a working shift, and ends
 * sooner when left idle. What a session is (a cookie secret, its token) is in
 * `services/dashboard-sessions.ts`.
 */
export const SESSION_LIFETIME_MS = 8 * 3_600_000;
export const SESSION_IDLE_MS = 3_600_000;
/** How often a session's last-seen time is written: idle expiry is kept to this precision. */
export const SESSION_TOUCH_MS = 60_000;

export interface SessionTimes {
  /** Epoch milliseconds. */
  expiresAt: number;
  lastSeenAt: number;
}

export type SessionVerdict = 'valid' | 'expired' | 'idle';

export function newSessionTimes(now: number): SessionTimes {
  return { expiresAt: now + SESSION_LIFETIME_MS, lastSeenAt: now };
}

export function sessionVerdict(session: SessionTimes, now: number): SessionVerdict {
  if (now >= session.expiresAt) return 'expired';
  if (now - session.lastSeenAt >= SESSION_IDLE_MS) return 'idle';
  return 'valid';
}

/** True when the last-seen time is old enough to be written again. */
export const needsTouch = (session: SessionTimes, now: number) => now - session.lastSeenAt >= SESSION_TOUCH_MS;

/** Compares two secrets in time that does not depend on where they differ. */
export function sameSecret(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
