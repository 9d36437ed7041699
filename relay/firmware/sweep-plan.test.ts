import { describe, expect, it } from 'vitest';
import { planSweep } from './sweep-plan';

const sha = (c: string) => c.repeat(64);

describe('planSweep', () => {
  const base = { abandonedAfterMs: 60_000 };

  it('drops the blob of a version that was replaced, and keeps the one in service', () => {
    const plan = planSweep({
      ...base,
      entries: [{ objectKey: 'fw/os.img', sha256: sha('b') }],
      blobs: [{ name: sha('a'), ageMs: 5 }, { name: sha('b'), ageMs: 5 }],
      needed: [{ objectKey: 'fw/os.img', sha256: sha('b') }],
    });
    expect(plan).toEqual({ dropEntries: [], dropBlobs: [sha('a')] });
  });

  it('keeps the older verified version while the newer record was refused', () => {
    const plan = planSweep({
      ...base,
      entries: [{ objectKey: 'fw/os.img', sha256: sha('a') }],
      blobs: [{ name: sha('a'), ageMs: 5 }],
      needed: [{ objectKey: 'fw/os.img', sha256: sha('c') }],
    });
    expect(plan).toEqual({ dropEntries: [], dropBlobs: [] });
  });

  it('drops keys no configuration names any more, with their blobs unless another key shares them', () => {
    const plan = planSweep({
      ...base,
      entries: [
        { objectKey: 'fw/old.img', sha256: sha('a') },
        { objectKey: 'fw/copy-of-new.img', sha256: sha('b') },
        { objectKey: 'fw/new.img', sha256: sha('b') },
      ],
      blobs: [{ name: sha('a'), ageMs: 5 }, { name: sha('b'), ageMs: 5 }],
      needed: [{ objectKey: 'fw/new.img', sha256: sha('b') }],
    });
    expect(plan).toEqual({ dropEntries: ['fw/old.img', 'fw/copy-of-new.img'], dropBlobs: [sha('a')] });
  });

  it('keeps a download that may still be running and drops an abandoned one; leaves foreign files alone', () => {
    const plan = planSweep({
      ...base,
      entries: [],
      blobs: [
        { name: '.123.aaaa.tmp', ageMs: 1_000 },
        { name: '.456.bbbb.tmp', ageMs: 120_000 },
        { name: 'README', ageMs: 1e9 },
      ],
      needed: [],
    });
    expect(plan).toEqual({ dropEntries: [], dropBlobs: ['.456.bbbb.tmp'] });
  });

  it('keeps the blob a configuration names even before its index entry is written', () => {
    const plan = planSweep({ ...base, entries: [], blobs: [{ name: sha('d'), ageMs: 5 }], needed: [{ objectKey: 'fw/d.img', sha256: sha('d') }] });
    expect(plan.dropBlobs).toEqual([]);
  });
});
