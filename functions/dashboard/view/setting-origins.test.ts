import { describe, expect, it } from 'vitest';
import type { TerminalGroup } from '../../../db/schema';
import { groupChain, inheritSettings } from '../../domain/resolve';
import { originText, traceSettings } from './setting-origins';

const stamp = { version: 1, createdAt: '2027-01-01T00:00:00.000Z', updatedAt: '2027-01-01T00:00:00.000Z' };
const group = (id: string, parentId: string | null, settings: Partial<TerminalGroup> = {}): TerminalGroup => ({
  ...stamp,
  id,
  name: `${id}-name`,
  parentId,
  hardwareModel: null,
  videoResolution: null,
  firmwarePackageId: null,
  displayClientIds: null,
  options: null,
  ...settings,
});

const groups = new Map(
  [
    group('site', null, { videoResolution: '1920x1080', displayClientIds: ['dc-site'], options: { keyboard: 'de', site: 1 } }),
    group('hall', 'site', { hardwareModel: 'TC-5', options: { keyboard: 'fr' } }),
    group('line', 'hall', { options: { line: 7 } }),
  ].map((g) => [g.id, g]),
);

describe('setting origins', () => {
  const terminal = { hardwareModel: null, videoResolution: '1280x1024', firmwarePackageId: null, displayClientIds: null, options: { line: 8 } };
  const chain = groupChain('line', groups);
  const traced = traceSettings(terminal, chain);

  it('names the terminal or the nearest group that sets each setting', () => {
    expect(traced.videoResolution).toEqual({ value: '1280x1024', origin: { kind: 'terminal' } });
    expect(traced.hardwareModel).toEqual({ value: 'TC-5', origin: { kind: 'group', id: 'hall', name: 'hall-name' } });
    expect(traced.displayClientIds.origin).toEqual({ kind: 'group', id: 'site', name: 'site-name' });
    expect(traced.firmwarePackageId).toEqual({ value: null, origin: { kind: 'unset' } });
    expect(originText(traced.hardwareModel.origin)).toBe('group hall-name');
  });

  it('traces each option key to the nearest level, with the levels it overrides', () => {
    expect(traced.options.map((o) => [o.key, o.value, originText(o.origin), o.overrides.map(originText)])).toEqual([
      ['keyboard', 'fr', 'group hall-name', ['group site-name']],
      ['line', 8, 'this terminal', ['group line-name']],
      ['site', 1, 'group site-name', []],
    ]);
  });

  it('resolves to the same values as the boot documents do', () => {
    const resolved = inheritSettings(terminal, chain);
    expect({
      hardwareModel: traced.hardwareModel.value,
      videoResolution: traced.videoResolution.value,
      firmwarePackageId: traced.firmwarePackageId.value,
      displayClientIds: traced.displayClientIds.value,
      options: Object.fromEntries(traced.options.map((o) => [o.key, o.value])),
    }).toEqual(resolved);
  });
});
