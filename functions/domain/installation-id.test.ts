import { describe, expect, it } from 'vitest';
import { formatInstallationId } from './installation-id';
import { installationIdSchema } from './license';

describe('formatInstallationId', () => {
  it('writes 80 bits as four groups of Crockford base32', () => {
    expect(formatInstallationId(new Uint8Array(10))).toBe('TDM-0000-0000-0000-0000');
    expect(formatInstallationId(new Uint8Array(10).fill(0xff))).toBe('TDM-ZZZZ-ZZZZ-ZZZZ-ZZZZ');
    expect(formatInstallationId(Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 1]))).toBe('TDM-0000-0000-0000-0001');
  });

  it('makes ids that licences accept, and different ids from different bytes', () => {
    const a = formatInstallationId(crypto.getRandomValues(new Uint8Array(10)));
    const b = formatInstallationId(crypto.getRandomValues(new Uint8Array(10)));
    expect(installationIdSchema.safeParse(a).success).toBe(true);
    expect(a).not.toBe(b);
  });
});
