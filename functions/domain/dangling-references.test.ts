import { describe, expect, it } from 'vitest';
import { danglingReferences, danglingWarning } from './dangling-references';
import type { Catalog } from './resolve';

/* eslint-disable @typescript-eslint/no-explicit-any */
const byId = (rows: any[]) => new Map(rows.map((r) => [r.id, r]));

describe('danglingReferences', () => {
  const catalog: Catalog = {
    groups: byId([
      { id: 'g1', name: 'plant', parentId: null, firmwarePackageId: 'fw1', displayClientIds: null },
      { id: 'g2', name: 'line-1', parentId: 'g-gone', firmwarePackageId: null, displayClientIds: ['dc1', 'dc-gone'] },
    ]),
    displayClients: byId([{ id: 'dc1', name: 'hmi', terminalServerIds: ['ts1', 'ts-gone'] }]),
    terminalServers: byId([{ id: 'ts1' }]),
    firmware: byId([{ id: 'fw1' }]),
  };

  it('names every reference to a record that is gone, and nothing else', () => {
    const found = danglingReferences(catalog, [
      { id: 't1', name: 'press-1', groupId: 'g1', firmwarePackageId: null, displayClientIds: ['dc1'] },
      { id: 't2', name: 'press-2', groupId: 'g-deleted', firmwarePackageId: 'fw-gone', displayClientIds: null },
    ]);
    expect(found).toEqual([
      { entity: 'terminal', id: 't2', name: 'press-2', field: 'groupId', missing: 'g-deleted' },
      { entity: 'terminal', id: 't2', name: 'press-2', field: 'firmwarePackageId', missing: 'fw-gone' },
      { entity: 'group', id: 'g2', name: 'line-1', field: 'parentId', missing: 'g-gone' },
      { entity: 'group', id: 'g2', name: 'line-1', field: 'displayClientIds', missing: 'dc-gone' },
      { entity: 'display-client', id: 'dc1', name: 'hmi', field: 'terminalServerIds', missing: 'ts-gone' },
    ]);
    expect(danglingWarning(found)).toMatch(/^terminal "press-2" names groupId g-deleted, which was deleted.*\(and 4 more/);
  });

  it('says nothing of a consistent configuration', () => {
    expect(danglingReferences({ ...catalog, groups: byId([...catalog.groups.values()].slice(0, 1)), displayClients: new Map() }, [])).toEqual([]);
    expect(danglingWarning([])).toBeNull();
  });
});
