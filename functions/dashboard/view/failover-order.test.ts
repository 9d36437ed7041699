import { describe, expect, it } from 'vitest';
import { changeOrder } from './failover-order';

describe('failover order', () => {
  const ids = ['a', 'b', 'c'];

  it('moves a server up or down by one place', () => {
    expect(changeOrder(ids, { move: 'up', id: 'b' })).toEqual(['b', 'a', 'c']);
    expect(changeOrder(ids, { move: 'down', id: 'b' })).toEqual(['a', 'c', 'b']);
  });

  it('adds at the end and removes', () => {
    expect(changeOrder(ids, { move: 'add', id: 'd' })).toEqual(['a', 'b', 'c', 'd']);
    expect(changeOrder(ids, { move: 'remove', id: 'a' })).toEqual(['b', 'c']);
  });

  it('changes nothing past the ends or for a server not listed', () => {
    expect(changeOrder(ids, { move: 'up', id: 'a' })).toBeNull();
    expect(changeOrder(ids, { move: 'down', id: 'c' })).toBeNull();
    expect(changeOrder(ids, { move: 'remove', id: 'x' })).toBeNull();
    expect(changeOrder(ids, { move: 'add', id: 'a' })).toBeNull();
  });
});
