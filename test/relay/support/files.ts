import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installDebianLoaders } from '../../../relay/files/boot-tree';

const created: string[] = [];
// Test files write tens of MiB; nothing of it outlives the test process.
process.once('exit', () => {
  for (const dir of created) rmSync(dir, { recursive: true, force: true });
});

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  created.push(dir);
  return dir;
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

/** A boot folder holding Debian's iPXE loaders (package ipxe), as an install puts them there. */
export function bootTreeWithLoaders(prefix = 'relay-boot'): string {
  const dir = tempDir(prefix);
  if (installDebianLoaders(dir).length < 2) throw new Error("Debian's iPXE loaders are missing from /usr/lib/ipxe: apt install ipxe");
  return dir;
}
