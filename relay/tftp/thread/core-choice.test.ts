import { describe, expect, it } from 'vitest';
import { BUSY_POLL_MAX_TRANSFERS } from './busy-poll';
import { preferredCore } from './core-choice';

const busy = { transfers: BUSY_POLL_MAX_TRANSFERS + 1, busyPolling: true };
const quiet = { transfers: 1, busyPolling: true };

describe('preferredCore', () => {
  it('sends a busy thread’s transfer to the thread on its client’s core', () => {
    expect(preferredCore({ clientCpu: 1, ownCpu: 0, siblingCpus: [1, 2], ...busy })).toBe(1);
    expect(preferredCore({ clientCpu: 1, ownCpu: 0, siblingCpus: [1], transfers: 1, busyPolling: false })).toBe(1);
  });

  it('keeps a busy thread’s transfer whose client is on its own core, or on a core with no transfer thread', () => {
    expect(preferredCore({ clientCpu: 0, ownCpu: 0, siblingCpus: [1], ...busy })).toBeNull();
    expect(preferredCore({ clientCpu: 3, ownCpu: 0, siblingCpus: [1], ...busy })).toBeNull();
  });

  it('moves a quiet thread’s transfer away from its client’s core, so that both run at once', () => {
    expect(preferredCore({ clientCpu: 0, ownCpu: 0, siblingCpus: [1], ...quiet })).toBe(1);
    expect(preferredCore({ clientCpu: 1, ownCpu: 0, siblingCpus: [1], ...quiet })).toBeNull();
    expect(preferredCore({ clientCpu: 0, ownCpu: 0, siblingCpus: [], ...quiet })).toBeNull();
  });

  it('stays put when the kernel does not say where the client is', () => {
    expect(preferredCore({ clientCpu: -1, ownCpu: 0, siblingCpus: [1], ...busy })).toBeNull();
  });
});
