import { describe, expect, it } from 'vitest';
import type { DisplayClient, Terminal, TerminalGroup, TerminalServer } from '../../db/schema';
import { groupChain, inheritSettings, resolveTerminalConfig, subtreeOf, wouldCycle, type Catalog } from './resolve';

const stamp = { version: 1, createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z' };
const unset = { hardwareModel: null, videoResolution: null, firmwarePackageId: null, displayClientIds: null, options: null };
const group = (id: string, parentId: string | null, settings: Partial<TerminalGroup> = {}): TerminalGroup => ({ ...stamp, ...unset, id, name: id, parentId, ...settings });
const terminal = (settings: Partial<Terminal> = {}): Terminal => ({ ...stamp, ...unset, id: 't1', mac: 'aa:bb:cc:00:00:01', name: 't1', groupId: 'leaf', ...settings });

function catalog(groups: TerminalGroup[], clients: DisplayClient[] = [], servers: TerminalServer[] = []): Catalog {
  return {
    groups: new Map(groups.map((g) => [g.id, g])),
    displayClients: new Map(clients.map((c) => [c.id, c])),
    terminalServers: new Map(servers.map((s) => [s.id, s])),
    firmware: new Map(),
  };
}

describe('configuration resolution', () => {
  const groups = [
    group('root', null, { videoResolution: '1920x1080', hardwareModel: 'TC-1', options: { a: 1, b: 1 } }),
    group('mid', 'root', { hardwareModel: 'TC-2', options: { b: 2, c: 2 } }),
    group('leaf', 'mid', { options: { c: 3 } }),
  ];

  it('walks the group chain nearest first', () => {
    expect(groupChain('leaf', catalog(groups).groups).map((g) => g.id)).toEqual(['leaf', 'mid', 'root']);
  });

  it('takes each unset setting from the nearest group that sets it', () => {
    const chain = groupChain('leaf', catalog(groups).groups);
    const settings = inheritSettings(terminal(), chain);
    expect(settings.hardwareModel).toBe('TC-2');
    expect(settings.videoResolution).toBe('1920x1080');
    expect(settings.options).toEqual({ a: 1, b: 2, c: 3 });
  });

  it('lets the terminal override what its groups set', () => {
    const settings = inheritSettings(terminal({ hardwareModel: 'TC-9', options: { a: 'own' } }), groupChain('leaf', catalog(groups).groups));
    expect(settings.hardwareModel).toBe('TC-9');
    expect(settings.options).toEqual({ a: 'own', b: 2, c: 3 });
  });

  it('treats an empty display-client list as set, not inherited', () => {
    const withClients = [group('root', null, { displayClientIds: ['dc'] }), group('leaf', 'root', { displayClientIds: [] })];
    expect(inheritSettings(terminal(), groupChain('leaf', catalog(withClients).groups)).displayClientIds).toEqual([]);
  });

  it('expands display clients with their enabled servers in order', () => {
    const servers: TerminalServer[] = [
      { ...stamp, id: 's1', name: 's1', host: 'h1', port: 3389, enabled: true },
      { ...stamp, id: 's2', name: 's2', host: 'h2', port: 3389, enabled: false },
      { ...stamp, id: 's3', name: 's3', host: 'h3', port: 3390, enabled: true },
    ];
    const client: DisplayClient = { ...stamp, id: 'dc', name: 'dc', type: 'rdp', settings: {}, terminalServerIds: ['s3', 's2', 's1'], failoverMode: 'failover' };
    const doc = resolveTerminalConfig(terminal({ groupId: null, displayClientIds: ['dc'] }), catalog([], [client], servers));
    expect(doc.displayClients[0].terminalServers.map((s) => s.id)).toEqual(['s3', 's1']);
    expect(doc.groupPath).toEqual([]);
  });

  it('detects a parent that would close a loop', () => {
    const groupsById = catalog(groups).groups;
    expect(wouldCycle('root', 'leaf', groupsById)).toBe(true);
    expect(wouldCycle('leaf', 'root', groupsById)).toBe(false);
    expect(wouldCycle('root', 'root', groupsById)).toBe(true);
  });

  it('ends a chain at a cycle instead of looping', () => {
    const looped = [group('a', 'b'), group('b', 'a')];
    expect(groupChain('a', catalog(looped).groups).map((g) => g.id)).toEqual(['a', 'b']);
  });

  it('finds a subtree', () => {
    expect([...subtreeOf('mid', groups)].sort()).toEqual(['leaf', 'mid']);
  });
});
