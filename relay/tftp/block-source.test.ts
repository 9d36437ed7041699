import { randomBytes } from 'node:crypto';
import { openSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BufferSource, FileSource, SyncFileSource } from './block-source';

describe('block sources', () => {
  it('read a file from disk in chunks, across chunk boundaries and up to an empty last block', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 5);
    const path = join(tmpdir(), `block-source-${process.pid}.bin`);
    writeFileSync(path, data);
    const source = new FileSource(openSync(path, 'r'), data.length);
    const parts: Buffer[] = [];
    for (let offset = 0; offset <= data.length; offset += 1468) parts.push(await source.read(offset, 1468));
    source.close();
    expect(Buffer.concat(parts).equals(data)).toBe(true);
    expect(parts.at(-1)!.length).toBe(data.length % 1468);
  });

  it('read a file with blocking calls the same way, and say so when the file is shorter than its size', () => {
    const data = randomBytes(1468 * 1500); // two chunks and more, and a multiple of the block size
    const path = join(tmpdir(), `block-source-sync-${process.pid}.bin`);
    writeFileSync(path, data);
    const source = new SyncFileSource(openSync(path, 'r'), data.length);
    const parts: Buffer[] = [];
    for (let offset = 0; offset <= data.length; offset += 1468) parts.push(source.read(offset, 1468));
    expect(Buffer.concat(parts).equals(data)).toBe(true);
    expect(parts.at(-1)!.length).toBe(0);
    source.close();
    expect(() => source.read(0, 1468)).toThrow(/closed/);
    const truncated = new SyncFileSource(openSync(path, 'r'), data.length + 5000);
    expect(() => truncated.read(data.length, 1468)).toThrow(/shorter/);
    truncated.close();
  });

  it('serve a buffer without copying', () => {
    const data = Buffer.from('0123456789');
    const source = new BufferSource(data);
    expect(source.read(8, 4).toString()).toBe('89');
    expect(source.read(10, 4).length).toBe(0);
  });
});
