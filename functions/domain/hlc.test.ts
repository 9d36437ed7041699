import { describe, expect, it } from 'vitest';
import { compareHlc, formatHlc, parseHlc, receiveHlc, tickHlc, type Hlc } from './hlc';

describe('hybrid logical clock', () => {
  it('follows the physical clock when it moves forward', () => {
    const a = tickHlc(null, 1000, 'a');
    expect(a).toEqual({ wall: 1000, counter: 0, node: 'a' });
    expect(tickHlc(a, 1005, 'a')).toEqual({ wall: 1005, counter: 0, node: 'a' });
  });

  it('counts events within one millisecond and while the physical clock goes backwards', () => {
    let h = tickHlc(null, 1000, 'a');
    h = tickHlc(h, 1000, 'a');
    expect(h).toEqual({ wall: 1000, counter: 1, node: 'a' });
    h = tickHlc(h, 400, 'a'); // the wall clock was set back
    expect(h).toEqual({ wall: 1000, counter: 2, node: 'a' });
  });

  it('is strictly monotonic over any sequence of physical readings', () => {
    let h: Hlc | null = null;
    const readings = [5, 5, 3, 9, 9, 9, 1, 12, 12, 2];
    for (const ms of readings) {
      const next = tickHlc(h, ms, 'a');
      if (h) expect(compareHlc(next, h)).toBe(1);
      h = next;
    }
  });

  it('on receive, stamps later than both the local clock and the remote stamp', () => {
    const local = { wall: 1000, counter: 3, node: 'a' };
    const remoteAhead = { wall: 5000, counter: 7, node: 'b' };
    const merged = receiveHlc(local, remoteAhead, 1200, 'a');
    expect(merged).toEqual({ wall: 5000, counter: 8, node: 'a' });
    expect(compareHlc(merged, remoteAhead)).toBe(1);
    expect(compareHlc(merged, local)).toBe(1);

    expect(receiveHlc(local, { wall: 1000, counter: 9, node: 'b' }, 900, 'a')).toEqual({ wall: 1000, counter: 10, node: 'a' });
    expect(receiveHlc(local, { wall: 10, counter: 9, node: 'b' }, 900, 'a')).toEqual({ wall: 1000, counter: 4, node: 'a' });
    expect(receiveHlc(local, { wall: 10, counter: 9, node: 'b' }, 2000, 'a')).toEqual({ wall: 2000, counter: 0, node: 'a' });
    expect(receiveHlc(null, { wall: 10, counter: 9, node: 'b' }, 5, 'a')).toEqual({ wall: 10, counter: 10, node: 'a' });
  });

  it('moves to the next millisecond instead of overflowing the counter', () => {
    expect(tickHlc({ wall: 7, counter: 999_999, node: 'a' }, 7, 'a')).toEqual({ wall: 8, counter: 0, node: 'a' });
  });

  it('round-trips through fixed-width text whose order is clock order', () => {
    const stamps: Hlc[] = [
      { wall: 1795588055366, counter: 0, node: 'primary' },
      { wall: 1795588055366, counter: 12, node: 'primary' },
      { wall: 999, counter: 999_999, node: 'x' },
      { wall: 1795588055367, counter: 0, node: 'a-b.c' },
    ];
    for (const s of stamps) expect(parseHlc(formatHlc(s))).toEqual(s);
    const byText = [...stamps].sort((a, b) => (formatHlc(a) < formatHlc(b) ? -1 : 1));
    const byClock = [...stamps].sort(compareHlc);
    expect(byText).toEqual(byClock);
    expect(() => parseHlc('yesterday')).toThrow();
  });

  it('orders equal wall and counter by node', () => {
    expect(compareHlc({ wall: 1, counter: 1, node: 'a' }, { wall: 1, counter: 1, node: 'b' })).toBe(-1);
    expect(compareHlc({ wall: 1, counter: 1, node: 'b' }, { wall: 1, counter: 1, node: 'b' })).toBe(0);
  });
});
