import { describe, expect, it } from 'vitest';
import { AdmissionPolicy, type AdmittedTransfer } from './admission';

const transfer = (source: string, acknowledged = false): AdmittedTransfer => ({ source, acknowledged });

function filled(limits: { maxTransfers: number; maxPerSource: number }, transfers: AdmittedTransfer[]) {
  const policy = new AdmissionPolicy(limits);
  for (const t of transfers) policy.add(t);
  return policy;
}

describe('admission of read requests', () => {
  it('admits while there is room, and no source beyond its share', () => {
    const policy = filled({ maxTransfers: 10, maxPerSource: 2 }, [transfer('10.0.0.1'), transfer('10.0.0.1', true)]);
    expect(policy.decide('10.0.0.1')).toEqual({ admit: false, reason: 'source_cap' });
    expect(policy.decide('10.0.0.2')).toEqual({ admit: true, evict: null });
  });

  it('when full, lets a new source in in place of the oldest transfer nobody acknowledged', () => {
    const answering = transfer('10.0.0.1', true);
    const silentOld = transfer('10.0.0.2');
    const silentNew = transfer('10.0.0.3');
    const policy = filled({ maxTransfers: 3, maxPerSource: 3 }, [answering, silentOld, silentNew]);
    expect(policy.decide('10.0.0.9')).toEqual({ admit: true, evict: silentOld });
  });

  it('when full, refuses a source that holds a transfer already, and everyone when all transfers answer', () => {
    const policy = filled({ maxTransfers: 2, maxPerSource: 5 }, [transfer('10.0.0.1'), transfer('10.0.0.2', true)]);
    expect(policy.decide('10.0.0.1')).toEqual({ admit: false, reason: 'transfer_cap' });
    const answering = filled({ maxTransfers: 2, maxPerSource: 5 }, [transfer('10.0.0.1', true), transfer('10.0.0.2', true)]);
    expect(answering.decide('10.0.0.9')).toEqual({ admit: false, reason: 'transfer_cap' });
  });

  it('forgets a transfer once, however often it is removed', () => {
    const a = transfer('10.0.0.1');
    const b = transfer('10.0.0.1');
    const policy = filled({ maxTransfers: 5, maxPerSource: 2 }, [a, b]);
    policy.remove(a);
    policy.remove(a);
    expect(policy.size).toBe(1);
    expect(policy.decide('10.0.0.1')).toEqual({ admit: true, evict: null });
    policy.add(a);
    expect(policy.decide('10.0.0.1')).toEqual({ admit: false, reason: 'source_cap' });
  });
});
