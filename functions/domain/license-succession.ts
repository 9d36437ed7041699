import { DomainError } from './errors';

/** When a licence file says it was issued, or null when it cannot be read. */
export function issuedAtOf(file: string): number | null {
  try {
    const issuedAt = (JSON.parse(file) as { payload?: { issuedAt?: unknown } })?.payload?.issuedAt;
    const at = typeof issuedAt === 'string' ? Date.parse(issuedAt) : NaN;
    return Number.isFinite(at) ? at : null;
  } catch {
    return null;
  }
}

/**
 * A licence is replaced only by a newer one: an older or equally old file (a replay of a
 * superseded licence) is refused, whoever sends it — an admin, a revert, or the peer. The same
 * file installed again changes nothing and is let through.
 */
export function ensureLicenseSupersedes(previousFile: string | null, nextFile: string): void {
  if (previousFile === null || previousFile === nextFile) return;
  const before = issuedAtOf(previousFile);
  const after = issuedAtOf(nextFile);
  if (after === null) throw new DomainError(422, 'license_malformed', 'The licence file has no readable issuedAt.');
  if (before !== null && after <= before)
    throw new DomainError(
      409,
      'license_not_newer',
      `The installed licence was issued at ${new Date(before).toISOString()}; a licence issued at ${new Date(after).toISOString()} is not newer and cannot replace it. Install the newest licence file from your vendor.`,
      { installedIssuedAt: new Date(before).toISOString(), issuedAt: new Date(after).toISOString() },
    );
}
