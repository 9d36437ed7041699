import { describe, expect, it } from 'vitest';
import { flattenTree, groupPath, groupTree } from './group-tree';

const g = (id: string, parentId: string | null) => ({ id, name: id, parentId });

describe('group tree', () => {
  const groups = [g('site-b', null), g('hall-1', 'site-a'), g('site-a', null), g('line-2', 'hall-1'), g('line-1', 'hall-1'), g('lost', 'deleted-elsewhere')];

  it('nests groups under their parents, each level by name, with orphans at the top', () => {
    const flat = flattenTree(groupTree(groups)).map((e) => `${'  '.repeat(e.depth)}${e.group.name}`);
    expect(flat).toEqual(['lost', 'site-a', '  hall-1', '    line-1', '    line-2', 'site-b']);
    expect(groupTree(groups).find((e) => e.group.id === 'lost')!.orphan).toBe(true);
  });

  it('shows every group once even when two servers closed a loop', () => {
    const looped = [g('a', 'b'), g('b', 'a'), g('c', null)];
    expect(flattenTree(groupTree(looped)).map((e) => e.group.id).sort()).toEqual(['a', 'b', 'c']);
  });

  it('names a group under its ancestors', () => {
    const byId = new Map(groups.map((x) => [x.id, x]));
    expect(groupPath('line-1', byId)).toBe('site-a › hall-1 › line-1');
    expect(groupPath(null, byId)).toBe('');
  });
});
