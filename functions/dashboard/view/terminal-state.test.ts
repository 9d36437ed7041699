import { describe, expect, it } from 'vitest';
import { BOOT_WINDOW_MS, stateReason, terminalState } from './terminal-state';

const now = Date.parse('2027-03-01T12:00:00Z');
const ago = (ms: number) => new Date(now - ms).toISOString();
const leased = now + 86_400_000;

describe('terminal state from check-ins', () => {
  it('has never booted without a check-in', () => {
    expect(terminalState({ lastBootAt: null, source: null, leaseExpiresAt: null }, now)).toBe('never-booted');
  });

  it('is booting right after a check-in, running after that', () => {
    expect(terminalState({ lastBootAt: ago(1000), source: 'live', leaseExpiresAt: leased }, now)).toBe('booting');
    expect(terminalState({ lastBootAt: ago(BOOT_WINDOW_MS), source: 'live', leaseExpiresAt: leased }, now)).toBe('running');
  });

  it('is failing when booted from a relay cache or without a valid lease', () => {
    const cached = { lastBootAt: ago(1000), source: 'cache' as const, leaseExpiresAt: leased };
    expect(terminalState(cached, now)).toBe('failing');
    expect(stateReason(cached, now)).toMatch(/relay’s cache/);
    expect(terminalState({ lastBootAt: ago(BOOT_WINDOW_MS * 2), source: 'live', leaseExpiresAt: null }, now)).toBe('failing');
    expect(terminalState({ lastBootAt: ago(BOOT_WINDOW_MS * 2), source: 'live', leaseExpiresAt: now }, now)).toBe('failing');
  });
});
