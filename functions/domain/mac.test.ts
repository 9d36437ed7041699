import { describe, expect, it } from 'vitest';
import { macFromBytes, macToBytes, parseMac } from './mac';

describe('parseMac', () => {
  it.each([
    ['aa:bb:cc:00:00:01', 'aa:bb:cc:00:00:01'],
    ['AA-BB-CC-00-00-01', 'aa:bb:cc:00:00:01'],
    ['aabbcc000001', 'aa:bb:cc:00:00:01'],
    ['AABB.CC00.0001', 'aa:bb:cc:00:00:01'],
    [' 01:02:03:04:05:0A ', '01:02:03:04:05:0a'],
  ])('normalises %s', (input, expected) => {
    expect(parseMac(input)).toBe(expected);
  });

  it.each(['', 'aa:bb:cc:00:00', 'aa:bb:cc:00:00:01:02', 'gg:bb:cc:00:00:01', 'aa:bb-cc:00:00:01', 'aabbcc00000', '../etc/passwd'])(
    'refuses %j',
    (input) => {
      expect(parseMac(input)).toBeNull();
    },
  );

  it('round-trips through bytes', () => {
    expect(macFromBytes(macToBytes('AA-BB-CC-00-00-FE'))).toBe('aa:bb:cc:00:00:fe');
  });
});
