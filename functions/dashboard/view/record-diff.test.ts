import { describe, expect, it } from 'vitest';
import { diffStates, recordName } from './record-diff';

describe('record diffs', () => {
  const before = { id: 't1', version: 1, name: 'press-1', videoResolution: '1280x1024', options: { line: 7 }, createdAt: 'x' };
  const after = { id: 't1', name: 'press-1', videoResolution: '1920x1080', options: { line: 7 }, groupId: 'g1', version: 2, createdAt: 'x' };

  it('sets the fields of two states side by side, marking what differs', () => {
    expect(diffStates(before, after)).toEqual([
      { field: 'name', left: '"press-1"', right: '"press-1"', changed: false },
      { field: 'videoResolution', left: '"1280x1024"', right: '"1920x1080"', changed: true },
      { field: 'options', left: '{"line":7}', right: '{"line":7}', changed: false },
      { field: 'groupId', left: null, right: '"g1"', changed: true },
      { field: 'version', left: '1', right: '2', changed: true },
    ]);
    expect(diffStates(before, after, true).map((d) => d.field)).toEqual(['videoResolution', 'groupId', 'version']);
  });

  it('shows a creation and a deletion against nothing', () => {
    expect(diffStates(null, { id: 'x', name: 'a' })).toEqual([{ field: 'name', left: null, right: '"a"', changed: true }]);
    expect(diffStates({ id: 'x', name: 'a' }, null, true)).toEqual([{ field: 'name', left: '"a"', right: null, changed: true }]);
  });

  it('names a record by its name, else its MAC', () => {
    expect(recordName(null, { mac: 'aa:bb' })).toBe('aa:bb');
    expect(recordName({ name: 'n' }, { mac: 'aa:bb' })).toBe('n');
    expect(recordName(null, null)).toBeNull();
  });
});
