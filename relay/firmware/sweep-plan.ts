/**
 * Which firmware files a relay may delete. A plant replaces firmware for years; without this
 * every version ever served would stay on the relay's disk until it fills and boots fail.
 *
 * Kept: the index entry of every object key a terminal's cached configuration still names
 * (whatever version is verified for it, even an older one kept because a newer object was
 * refused), every blob such an entry or such a configuration names, and temporary downloads
 * that may still be running. Everything else goes.
 */
export interface SweepInput {
  /** The verified index: object key and the blob (sha256) it serves. */
  entries: ReadonlyArray<{ objectKey: string; sha256: string }>;
  /** Files in the blob folder, with their age. */
  blobs: ReadonlyArray<{ name: string; ageMs: number }>;
  /** Firmware named by the configurations this relay holds. */
  needed: ReadonlyArray<{ objectKey: string; sha256: string }>;
  /** A temporary download older than this has been abandoned (its process died). */
  abandonedAfterMs: number;
}

export interface SweepPlan {
  dropEntries: string[];
  dropBlobs: string[];
}

const BLOB_NAME = /^[0-9a-f]{64}$/;
const TEMP_NAME = /^\..*\.tmp$/;

export function planSweep(input: SweepInput): SweepPlan {
  const neededKeys = new Set(input.needed.map((n) => n.objectKey));
  const dropEntries = input.entries.filter((e) => !neededKeys.has(e.objectKey)).map((e) => e.objectKey);
  const keptShas = new Set([...input.entries.filter((e) => neededKeys.has(e.objectKey)).map((e) => e.sha256), ...input.needed.map((n) => n.sha256)]);
  const dropBlobs = input.blobs
    .filter((b) => (BLOB_NAME.test(b.name) ? !keptShas.has(b.name) : TEMP_NAME.test(b.name) && b.ageMs > input.abandonedAfterMs))
    .map((b) => b.name);
  return { dropEntries, dropBlobs };
}
