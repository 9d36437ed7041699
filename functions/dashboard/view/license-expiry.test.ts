import { describe, expect, it } from 'vitest';
import { expiryOf } from '../../domain/license';
import { expiryNotice } from './license-expiry';

const now = new Date('2027-03-01T12:00:00Z');
const notice = (expiresAt: string | null) => expiryNotice(expiryOf({ expiresAt }, now, 30), now.getTime());

describe('licence expiry notices', () => {
  it('is quiet far from the end, and warns within 30 days', () => {
    expect(notice(null)).toEqual({ level: 'ok', text: 'The licence does not expire.' });
    expect(notice('2027-09-01T00:00:00Z')!.level).toBe('ok');
    expect(notice('2027-03-11T00:00:00Z')).toEqual({ level: 'warning', text: 'The licence expires in 10 days, on 2027-03-11: request a renewal now.' });
  });

  it('says when the grace period ends, and when it has', () => {
    expect(notice('2027-02-20T00:00:00Z')).toEqual({
      level: 'danger',
      text: 'The licence expired on 2027-02-20. It keeps granting leases until 2027-03-22 (grace period): install a renewed licence before then.',
    });
    expect(notice('2027-01-01T00:00:00Z')!.text).toMatch(/grace period ended on 2027-01-31: no terminal gets a new lease/);
  });

  it('has nothing to say without a licence', () => {
    expect(expiryNotice(null, now.getTime())).toBeNull();
  });
});
