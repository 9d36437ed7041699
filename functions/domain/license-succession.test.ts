import { describe, expect, it } from 'vitest';
import { DomainError } from './errors';
import { ensureLicenseSupersedes, issuedAtOf } from './license-succession';

const file = (issuedAt: string, id = 'LIC-1') => JSON.stringify({ payload: { licenseId: id, issuedAt }, signature: 'x' });
const codeOf = (run: () => void) => {
  try {
    run();
    return null;
  } catch (err) {
    return (err as DomainError).code;
  }
};

describe('licence succession', () => {
  it('reads when a licence file was issued, and nothing from a broken one', () => {
    expect(issuedAtOf(file('2027-01-01T00:00:00Z'))).toBe(Date.parse('2027-01-01T00:00:00Z'));
    expect(issuedAtOf('{not json')).toBeNull();
    expect(issuedAtOf(JSON.stringify({ payload: {} }))).toBeNull();
  });

  it('lets a first licence, the same file again, and a newer licence through', () => {
    expect(codeOf(() => ensureLicenseSupersedes(null, file('2027-01-01T00:00:00Z')))).toBeNull();
    expect(codeOf(() => ensureLicenseSupersedes(file('2027-01-01T00:00:00Z'), file('2027-01-01T00:00:00Z')))).toBeNull();
    expect(codeOf(() => ensureLicenseSupersedes(file('2027-01-01T00:00:00Z'), file('2027-02-01T00:00:00Z', 'LIC-2')))).toBeNull();
  });

  it('refuses an older licence, and another licence issued at the same time', () => {
    expect(codeOf(() => ensureLicenseSupersedes(file('2027-02-01T00:00:00Z'), file('2027-01-01T00:00:00Z', 'LIC-0')))).toBe('license_not_newer');
    expect(codeOf(() => ensureLicenseSupersedes(file('2027-02-01T00:00:00Z'), file('2027-02-01T00:00:00Z', 'LIC-X')))).toBe('license_not_newer');
    expect(codeOf(() => ensureLicenseSupersedes(file('2027-02-01T00:00:00Z'), '{}'))).toBe('license_malformed');
  });
});
