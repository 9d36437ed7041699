import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BufferSource, FileSource } from './block-source';

describe('block sources', () => {
  it('read a file from disk in chunks, across chunk boundaries and up to an empty last block', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 5);
    const path = join(tmpdir(), `block-source-${process.pid}.bin`);
    writeFileSync(path, data);
    const source = await FileSource.open(path, data.length);
    const parts: Buffer[] = [];
    for (let offset = 0; offset <= data.length; offset += 1468) parts.push(await source.read(offset, 1468));
    source.close();
    expect(Buffer.concat(parts).equals(data)).toBe(true);
    expect(parts.at(-1)!.length).toBe(data.length % 1468);
  });

  it('serve a buffer without copying', () => {
    const data = Buffer.from('0123456789');
    const source = new BufferSource(data);
    expect(source.read(8, 4).toString()).toBe('89');
    expect(source.read(10, 4).length).toBe(0);
  });
});
