import { close, closeSync, read, readSync } from 'node:fs';
import { promisify } from 'node:util';

const readAt = promisify(read);

/** The bytes of one transfer, read by offset: from memory, or from disk in large chunks. */
export interface BlockSource {
  readonly size: number;
  /** A Buffer when the bytes are at hand, a Promise when they must be read first. */
  read(offset: number, length: number): Buffer | Promise<Buffer>;
  close(): void;
}

export class BufferSource implements BlockSource {
  constructor(private readonly buffer: Buffer) {}

  get size(): number {
    return this.buffer.length;
  }

  read(offset: number, length: number): Buffer {
    return this.buffer.subarray(offset, Math.min(offset + length, this.buffer.length));
  }

  close(): void {}
}

const CHUNK = 1024 * 1024;

/** The chunk of a file read last: blocks are read in order, so one chunk serves many. */
abstract class ChunkedFile {
  protected chunk: Buffer = Buffer.alloc(0);
  protected chunkStart = 0;

  constructor(readonly size: number) {}

  /** offset..end from the chunk, or null when the chunk does not hold it all. */
  protected fromChunk(offset: number, end: number): Buffer | null {
    if (offset >= this.chunkStart && end <= this.chunkStart + this.chunk.length) return this.chunk.subarray(offset - this.chunkStart, end - this.chunkStart);
    return null;
  }
}

/** A file too large to hold in memory, read ahead a chunk at a time without blocking the event loop. */
export class FileSource extends ChunkedFile implements BlockSource {
  private loading: Promise<void> | null = null;
  private closed = false;

  /** fd: an open file this source now owns and closes. */
  constructor(
    private readonly fd: number,
    size: number,
  ) {
    super(size);
  }

  read(offset: number, length: number): Buffer | Promise<Buffer> {
    const end = Math.min(offset + length, this.size);
    const bytes = this.fromChunk(offset, end);
    if (bytes) return bytes;
    return this.load(offset, end).then(() => {
      const bytes = this.read(offset, length);
      if (bytes instanceof Promise) throw new Error('file shorter than its size');
      return bytes;
    });
  }

  /** Reads the chunk that starts at offset (and so holds offset..end). */
  private async load(offset: number, end: number): Promise<void> {
    while (this.loading) await this.loading;
    if (this.fromChunk(offset, end)) return;
    if (this.closed) throw new Error('source closed');
    this.loading = (async () => {
      const length = Math.min(CHUNK, this.size - offset);
      const buffer = Buffer.allocUnsafe(length);
      const { bytesRead } = await readAt(this.fd, buffer, 0, length, offset);
      this.chunk = buffer.subarray(0, bytesRead);
      this.chunkStart = offset;
    })().finally(() => {
      this.loading = null;
    });
    await this.loading;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    void (this.loading ?? Promise.resolve()).finally(() => close(this.fd, () => {}));
  }
}

/**
 * The same, read with blocking calls: for the transfer thread, which has no event loop to wait
 * in. A chunk comes from the page cache in well under a millisecond.
 */
export class SyncFileSource extends ChunkedFile implements BlockSource {
  private fd: number | null;

  /** fd: an open file this source now owns and closes. */
  constructor(fd: number, size: number) {
    super(size);
    this.fd = fd;
  }

  read(offset: number, length: number): Buffer {
    const end = Math.min(offset + length, this.size);
    const hit = this.fromChunk(offset, end);
    if (hit) return hit;
    if (this.fd === null) throw new Error('source closed');
    const buffer = Buffer.allocUnsafe(Math.min(CHUNK, this.size - offset));
    const bytesRead = readSync(this.fd, buffer, 0, buffer.length, offset);
    this.chunk = buffer.subarray(0, bytesRead);
    this.chunkStart = offset;
    const bytes = this.fromChunk(offset, end);
    if (!bytes) throw new Error('file shorter than its size');
    return bytes;
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
