import { describe, expect, it } from 'vitest';
import { jsonTooLarge } from './json-bounds';

const nested = (depth: number): unknown => (depth === 0 ? 'leaf' : { next: nested(depth - 1) });

describe('bounds of free-form JSON', () => {
  const bounds = { maxDepth: 4, maxKeys: 10, maxBytes: 200 };

  it('lets a small settings object through', () => {
    expect(jsonTooLarge({ keyboard: 'de', screens: [1, 2], rdp: { port: 3389 } }, bounds)).toBeNull();
    expect(jsonTooLarge(nested(3), bounds)).toBeNull();
  });

  it('refuses nesting past the depth, too many keys, and too many bytes', () => {
    expect(jsonTooLarge(nested(5), bounds)).toMatch(/deeper than 4/);
    expect(jsonTooLarge(Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`k${i}`, i])), bounds)).toMatch(/more than 10 keys/);
    expect(jsonTooLarge({ text: 'x'.repeat(300) }, bounds)).toMatch(/larger than 200 bytes/);
  });

  it('measures a value nested a hundred thousand levels deep without exhausting the stack', () => {
    let deep: unknown = 0;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(jsonTooLarge(deep)).toMatch(/deeper than/);
  });
});
