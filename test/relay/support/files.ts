import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `${prefix}-`));
}

export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Writes size random bytes to dir/name and returns them. */
export function randomFile(dir: string, name: string, size: number): Buffer {
  const data = randomBytes(size);
  writeFileSync(join(dir, name), data);
  return data;
}
