import { DomainError } from '../domain/errors';

/** A record's ETag is its version: `"7"`. */
export const recordEtag = (version: number) => `"${version}"`;

/**
 * Checks `If-Match` against the record's current version. Absent means the
 * client accepts whatever is there; a stale version is refused with 412.
 */
export function checkIfMatch(header: string | undefined, current: number): void {
  if (header === undefined || header.trim() === '*') return;
  const candidates = header.split(',').map((t) => t.trim().replace(/^W\//, '').replace(/^"|"$/g, ''));
  if (candidates.includes(String(current))) return;
  throw new DomainError(412, 'version_mismatch', `The record has changed since you read it: it is at version ${current}. Reload it and apply your change again.`, {
    currentVersion: current,
  });
}
