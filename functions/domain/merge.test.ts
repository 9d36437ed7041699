import { describe, expect, it } from 'vitest';
import { formatHlc } from './hlc';
import { appliesIncoming, compareChanges, conflictPairKey, decideIncoming, uniqueKeeper, type ChangeStamp, type IncomingStamp, type RecordHeadStamp } from './merge';

const stamp = (wall: number, origin: string, changeId: string, counter = 0): ChangeStamp => ({ hlc: formatHlc({ wall, counter, node: origin }), origin, changeId });
const head = (s: ChangeStamp, deleted = false): RecordHeadStamp => ({ ...s, deleted });
const incoming = (s: ChangeStamp, baseChangeId: string | null): IncomingStamp => ({ ...s, baseChangeId });

describe('merge rule', () => {
  it('orders changes by clock, then origin server, then change id', () => {
    expect(compareChanges(stamp(1, 'b', 'x'), stamp(2, 'a', 'a'))).toBe(-1);
    expect(compareChanges(stamp(5, 'a', 'z', 3), stamp(5, 'a', 'a', 4))).toBe(-1);
    // Same wall and counter on two servers: the origin decides.
    expect(compareChanges({ hlc: formatHlc({ wall: 5, counter: 0, node: 'n' }), origin: 'primary', changeId: 'z' }, { hlc: formatHlc({ wall: 5, counter: 0, node: 'n' }), origin: 'secondary', changeId: 'a' })).toBe(-1);
    // Same stamp and origin (never made by one server, but total anyway): the change id decides.
    expect(compareChanges(stamp(5, 'a', 'b'), stamp(5, 'a', 'c'))).toBe(-1);
    expect(compareChanges(stamp(5, 'a', 'c'), stamp(5, 'a', 'c'))).toBe(0);
  });

  it('applies a change to a record unknown here, and one made on top of the record as it is here', () => {
    expect(decideIncoming(null, incoming(stamp(1, 'a', 'c1'), null))).toEqual({ kind: 'fast-forward' });
    expect(decideIncoming(head(stamp(1, 'a', 'c1')), incoming(stamp(2, 'b', 'c2'), 'c1'))).toEqual({ kind: 'fast-forward' });
    expect(decideIncoming(head(stamp(1, 'a', 'c1'), true), incoming(stamp(2, 'b', 'c2'), 'c1'))).toEqual({ kind: 'fast-forward' });
  });

  it('recognises a change it already holds', () => {
    expect(decideIncoming(head(stamp(1, 'a', 'c1')), incoming(stamp(1, 'a', 'c1'), null))).toEqual({ kind: 'duplicate' });
  });

  it('reports concurrent changes as a conflict that the later change wins', () => {
    const local = head(stamp(10, 'a', 'la'));
    expect(decideIncoming(local, incoming(stamp(11, 'b', 'rb'), 'c0'))).toEqual({ kind: 'conflict', winner: 'incoming' });
    expect(decideIncoming(local, incoming(stamp(9, 'b', 'rb'), 'c0'))).toEqual({ kind: 'conflict', winner: 'local' });
  });

  it('picks the same winner on both servers whichever side each change was made on', () => {
    const base = 'c0';
    const cases: [ChangeStamp, ChangeStamp][] = [
      [stamp(10, 'primary', 'p1'), stamp(11, 'secondary', 's1')],
      [stamp(12, 'primary', 'p1'), stamp(11, 'secondary', 's1')],
      [stamp(10, 'primary', 'p1', 2), stamp(10, 'secondary', 's1', 2)],
      [{ hlc: formatHlc({ wall: 10, counter: 0, node: 'x' }), origin: 'primary', changeId: 'p1' }, { hlc: formatHlc({ wall: 10, counter: 0, node: 'x' }), origin: 'primary', changeId: 'p0' }],
    ];
    for (const [onA, onB] of cases) {
      const atA = decideIncoming(head(onA), incoming(onB, base));
      const atB = decideIncoming(head(onB), incoming(onA, base));
      const winnerAtA = appliesIncoming(atA) ? onB.changeId : onA.changeId;
      const winnerAtB = appliesIncoming(atB) ? onA.changeId : onB.changeId;
      expect(winnerAtA).toBe(winnerAtB);
      expect(atA.kind).toBe('conflict');
      expect(atB.kind).toBe('conflict');
    }
  });

  it('ends with the latest change whatever order a chain of concurrent changes arrives in', () => {
    // A made a1 then a2 on top of it; B made b1; all from base c0.
    const a1 = stamp(10, 'a', 'a1');
    const a2 = stamp(30, 'a', 'a2');
    const b1 = stamp(20, 'b', 'b1');
    // B receives a1 then a2.
    let atB: ChangeStamp = b1;
    for (const [c, base] of [[a1, 'c0'], [a2, 'a1']] as const) if (appliesIncoming(decideIncoming(head(atB), incoming(c, base)))) atB = c;
    // A receives b1.
    const atA = appliesIncoming(decideIncoming(head(a2), incoming(b1, 'c0'))) ? b1 : a2;
    expect(atA.changeId).toBe('a2');
    expect(atB.changeId).toBe('a2');
  });

  it('lets a delete and an update race resolve by clock, the same on both sides', () => {
    const del = stamp(50, 'a', 'del');
    const upd = stamp(40, 'b', 'upd');
    expect(appliesIncoming(decideIncoming(head(del, true), incoming(upd, 'c0')))).toBe(false);
    expect(appliesIncoming(decideIncoming(head(upd), incoming(del, 'c0')))).toBe(true);
  });

  it('keeps the record created first when two claim one unique value, then the smaller id', () => {
    const x = { id: 'b-id', createdAt: '2026-01-01T00:00:00.000Z' };
    const y = { id: 'a-id', createdAt: '2026-01-01T00:00:01.000Z' };
    expect(uniqueKeeper(x, y)).toBe(x);
    expect(uniqueKeeper(y, x)).toBe(x);
    const z = { id: 'a-id', createdAt: x.createdAt };
    expect(uniqueKeeper(x, z)).toBe(z);
    expect(uniqueKeeper(z, x)).toBe(z);
  });

  it('names a conflict the same way on both servers', () => {
    expect(conflictPairKey('concurrent', 'p', 'q')).toBe(conflictPairKey('concurrent', 'q', 'p'));
  });
});
