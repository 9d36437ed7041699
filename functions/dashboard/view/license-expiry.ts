import type { Expiry } from '../../domain/license';

/** A licence this close to its end is announced on the licence page and the overview. */
export const EXPIRY_WARNING_DAYS = 30;
const DAY_MS = 86_400_000;

export interface ExpiryNotice {
  level: 'ok' | 'warning' | 'danger';
  text: string;
}

const day = (iso: string) => iso.slice(0, 10);

/** What the licence's term means for the plant, in a sentence; null when no licence is installed. */
export function expiryNotice(expiry: Expiry | null, now: number): ExpiryNotice | null {
  if (!expiry) return null;
  switch (expiry.state) {
    case 'perpetual':
      return { level: 'ok', text: 'The licence does not expire.' };
    case 'valid': {
      const days = Math.ceil((Date.parse(expiry.expiresAt!) - now) / DAY_MS);
      return days <= EXPIRY_WARNING_DAYS
        ? { level: 'warning', text: `The licence expires in ${days} day${days === 1 ? '' : 's'}, on ${day(expiry.expiresAt!)}: request a renewal now.` }
        : { level: 'ok', text: `The licence expires on ${day(expiry.expiresAt!)}, in ${days} days.` };
    }
    case 'grace':
      return {
        level: 'danger',
        text: `The licence expired on ${day(expiry.expiresAt!)}. It keeps granting leases until ${day(expiry.graceEndsAt!)} (grace period): install a renewed licence before then.`,
      };
    case 'expired':
      return {
        level: 'danger',
        text: `The licence expired on ${day(expiry.expiresAt!)} and its grace period ended on ${day(expiry.graceEndsAt!)}: no terminal gets a new lease. Install a renewed licence.`,
      };
  }
}
