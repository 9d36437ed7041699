import { read, type Stats } from 'node:fs';
import { promisify } from 'node:util';
import { netasciiGrowth } from './netascii';

const readAt = promisify(read);
const CHUNK = 1024 * 1024;

/**
 * How long files are as netascii (the OACK's tsize and the transfer's last block need it before
 * the first block is sent), counted once per version of a file: many terminals ask for the same
 * one. A file in memory is known by its buffer, one on disk by what fstat says of the very file
 * the transfer holds open.
 */
export class NetasciiSizes {
  private readonly ofBuffers = new WeakMap<Buffer, number>();
  private readonly ofFiles = new Map<string, Promise<number>>();

  constructor(private readonly maxFiles = 64) {}

  ofBuffer(buffer: Buffer): number {
    let size = this.ofBuffers.get(buffer);
    if (size === undefined) {
      size = buffer.length + netasciiGrowth(buffer);
      this.ofBuffers.set(buffer, size);
    }
    return size;
  }

  ofFile(fd: number, stats: Stats): Promise<number> {
    const key = `${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeMs}:${stats.ctimeMs}`;
    let size = this.ofFiles.get(key);
    if (!size) {
      if (this.ofFiles.size >= this.maxFiles) this.ofFiles.delete(this.ofFiles.keys().next().value!);
      size = count(fd, stats.size);
      size.catch(() => this.ofFiles.delete(key));
      this.ofFiles.set(key, size);
    }
    return size;
  }
}

/** Reads the file through a chunk at a time (never the whole of it at once) and counts. */
async function count(fd: number, size: number): Promise<number> {
  const chunk = Buffer.allocUnsafe(Math.min(CHUNK, size));
  let total = size;
  for (let offset = 0; offset < size; ) {
    const { bytesRead } = await readAt(fd, chunk, 0, Math.min(chunk.length, size - offset), offset);
    if (bytesRead === 0) throw new Error('file shorter than its size');
    total += netasciiGrowth(chunk.subarray(0, bytesRead));
    offset += bytesRead;
  }
  return total;
}
