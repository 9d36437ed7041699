import { describe, expect, it } from 'vitest';
import type { BootDocument, BootFirmware } from '../../functions/domain/boot-document';
import type { HeldConfig } from './config-cache';
import { etagOf, planFeedPage, planWalkEnd } from './feed-plan';

const firmware = (objectKey: string, sha: string): BootFirmware => ({ id: objectKey, name: objectKey, version: '1', objectKey, sha256: sha.repeat(64).slice(0, 64), size: 10 });
const FW1 = firmware('fw/a.img', 'a');
const FW2 = firmware('fw/b.img', 'b');
const doc = (mac: string, configVersion: string, fw: BootFirmware | null = null): BootDocument => ({
  mac,
  terminalId: `t-${mac}`,
  name: mac,
  groupPath: [],
  hardwareModel: null,
  videoResolution: null,
  firmware: fw,
  displayClients: [],
  options: {},
  configVersion,
});
const holding = (entries: Record<string, HeldConfig>) => (mac: string) => entries[mac];

describe('planFeedPage', () => {
  it('writes what the cache lacks or holds at another version, and nothing it holds already', () => {
    const held = holding({ m1: { etag: '"v1"', firmware: FW1 }, m2: { etag: '"v1"', firmware: null } });
    const plan = planFeedPage({ documents: [doc('m1', 'v1', FW1), doc('m2', 'v2', FW1), doc('m3', 'v1', FW2)], removed: [] }, held, null);
    expect(plan.write.map((d) => d.mac)).toEqual(['m2', 'm3']);
    expect(plan.firmware).toEqual([FW1, FW2]);
    expect(plan.firmwareDropped).toBe(false);
    expect(etagOf(plan.write[0])).toBe('"v2"');
  });

  it('calls for a sweep when a held document changes firmware or goes', () => {
    const held = holding({ m1: { etag: '"v1"', firmware: FW1 }, m2: { etag: '"v1"', firmware: FW2 } });
    expect(planFeedPage({ documents: [doc('m1', 'v2', FW2)], removed: [] }, held, null).firmwareDropped).toBe(true);
    expect(planFeedPage({ documents: [doc('m1', 'v2', FW1)], removed: [] }, held, null).firmwareDropped).toBe(false);
    const removal = planFeedPage({ documents: [], removed: ['m2', 'm9'] }, held, null);
    // m9 is not held here, but another worker may have cached it on a boot: removed all the same.
    expect(removal.remove).toEqual(['m2', 'm9']);
    expect(removal.firmwareDropped).toBe(true);
  });

  it('during a walk, counts what the walk names, and drops at its end whatever it did not', () => {
    const entries = { m1: { etag: '"v1"', firmware: null }, m2: { etag: '"v1"', firmware: FW1 }, m3: { etag: '"v1"', firmware: null } };
    const seen = new Set<string>();
    planFeedPage({ documents: [doc('m1', 'v1'), doc('m3', 'v1')], removed: [] }, holding(entries), seen);
    planFeedPage({ documents: [], removed: ['m3'] }, holding(entries), seen);
    expect([...seen]).toEqual(['m1']);
    const end = planWalkEnd(Object.keys(entries), seen, holding(entries));
    expect(end.remove).toEqual(['m2', 'm3']);
    expect(end.firmwareDropped).toBe(true);
  });
});
