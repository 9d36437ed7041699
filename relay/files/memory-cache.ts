import { open } from 'node:fs/promises';

/**
 * Contents of served files held in memory, least recently used out first, bounded in bytes.
 * Many terminals boot the same few files; serving them from one buffer costs no disk reads.
 * Entries are keyed by what identifies a version of a file (path, inode, size, mtime), so a
 * replaced file is read again. The bytes live in shared memory, so that the TFTP transfer thread
 * serves the same copy instead of one of its own per transfer.
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
      pending = readShared(path).then((buffer) => {
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

/** A whole file in a Buffer over a SharedArrayBuffer: posted to a thread, it is shared, not copied. */
async function readShared(path: string): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const buffer = Buffer.from(new SharedArrayBuffer(size));
    let filled = 0;
    while (filled < size) {
      const { bytesRead } = await handle.read(buffer, filled, size - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    // A file that shrank while it was read: what was there (the caller's key holds the size it expected).
    return buffer.subarray(0, filled);
  } finally {
    await handle.close();
  }
}
