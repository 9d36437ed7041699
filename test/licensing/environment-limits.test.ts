import { afterAll, describe, expect, it } from 'vitest';
import { apiClient, startHandler, type HandlerProcess } from '../support/handler';

// The start-up failure arrives as a JSON log line: quotes in it are escaped.

/** The licence's terms are the vendor's: the customer's environment may tune them only within limits. */
describe('licence terms in the environment', () => {
  const started: HandlerProcess[] = [];
  afterAll(async () => {
    for (const h of started) await h.stop();
  });

  it('a handler refuses to start with TANDEM_LEASE_TTL_SECONDS=1, which would turn the terminal count off', async () => {
    await expect(startHandler({ env: { TANDEM_LEASE_TTL_SECONDS: '1' } })).rejects.toThrow(
      /TANDEM_LEASE_TTL_SECONDS \\?"1\\?" must be a whole number of seconds from 3600 \(an hour\) to 2592000 \(30 days\)/,
    );
    await expect(startHandler({ env: { TANDEM_LEASE_TTL_SECONDS: '31536000' } })).rejects.toThrow(/TANDEM_LEASE_TTL_SECONDS \\?"31536000\\?" must be/);
  });

  it('a handler refuses to start with TANDEM_LICENSE_GRACE_DAYS=100000: the grace period may only be shortened', async () => {
    await expect(startHandler({ env: { TANDEM_LICENSE_GRACE_DAYS: '100000' } })).rejects.toThrow(
      /TANDEM_LICENSE_GRACE_DAYS \\?"100000\\?" must be a number of days from 0 to 30: the grace period of an expired licence may be shortened, never lengthened/,
    );
  });

  it('takes values within the limits, and the licence view shows them', async () => {
    const h = await startHandler({ env: { TANDEM_LEASE_TTL_SECONDS: '3600', TANDEM_LICENSE_GRACE_DAYS: '0' } });
    started.push(h);
    expect((await apiClient(h.url, h.adminToken).get('/api/v1/license')).body).toMatchObject({ leaseTtlSeconds: 3600, graceDays: 0 });
  });
});
