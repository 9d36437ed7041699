import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/relay/support/files';
import { MemoryCache } from './memory-cache';

describe('MemoryCache', () => {
  it('holds a file in shared memory, so that a thread it is posted to sees the same bytes', async () => {
    const dir = tempDir('memory-cache');
    const data = randomBytes(300_000);
    writeFileSync(join(dir, 'a.bin'), data);
    const cache = new MemoryCache(1024 * 1024);
    const held = await cache.load('a', join(dir, 'a.bin'));
    expect(held.equals(data)).toBe(true);
    expect(held.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(await cache.load('a', join(dir, 'a.bin'))).toBe(held);
  });

  it('drops the least recently used file past its size', async () => {
    const dir = tempDir('memory-cache');
    for (const name of ['a', 'b', 'c']) writeFileSync(join(dir, name), randomBytes(400_000));
    const cache = new MemoryCache(1_000_000);
    const a = await cache.load('a', join(dir, 'a'));
    await cache.load('b', join(dir, 'b'));
    await cache.load('a', join(dir, 'a'));
    await cache.load('c', join(dir, 'c'));
    expect(cache.size).toBe(800_000);
    // a was used after b: b went, a stayed.
    expect(await cache.load('a', join(dir, 'a'))).toBe(a);
  });
});
