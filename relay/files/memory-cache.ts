import { readFile } from 'node:fs/promises';

/**
 * Contents of served files held in memory, least recently used out first, bounded in bytes.
 * Many terminals boot the same few files; serving them from one buffer costs no disk reads.
 * Entries are keyed by what identifies a version of a file (path, inode, size, mtime), so a
 * replaced file is read again.
 */
export class MemoryCache {
  private readonly entries = new Map<string, Buffer>();
  private readonly loading = new Map<string, Promise<Buffer>>();
  private bytes = 0;

  constructor(readonly maxBytes: number) {}

  fits(size: number): boolean {
    return size <= this.maxBytes / 2;
  }

  async load(key: string, path: string): Promise<Buffer> {
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    let pending = this.loading.get(key);
    if (!pending) {
      pending = readFile(path).then((buffer) => {
        this.loading.delete(key);
        this.insert(key, buffer);
        return buffer;
      }, (error) => {
        this.loading.delete(key);
        throw error;
      });
      this.loading.set(key, pending);
    }
    return pending;
  }

  get size(): number {
    return this.bytes;
  }

  private insert(key: string, buffer: Buffer): void {
    this.entries.set(key, buffer);
    this.bytes += buffer.length;
    for (const [oldKey, old] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(oldKey);
      this.bytes -= old.length;
    }
  }
}
