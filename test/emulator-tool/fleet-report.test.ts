import { describe, expect, it } from 'vitest';
import { type BootReport, emptyPhases, percentile, reportLine, summarise, summaryLines } from '../../infra/emulator/boot-report';
import { sourceAddress, terminalMacs } from '../../infra/emulator/fleet-plan';

const report = (mac: string, ok: boolean, firmware: number, total: number): BootReport => ({
  mac,
  ok,
  error: ok ? null : 'HTTP 503 from http://a/boot.ipxe',
  failedPhase: ok ? null : 'script',
  attempts: 1,
  phases: { ...emptyPhases(), loader: 10, script: ok ? 2 : null, firmware: ok ? firmware : null },
  totalMs: total,
  servedBy: { loader: 'tftp://a:69' },
  firmware: ok ? 'os 1' : null,
  sessions: [],
  messages: [],
});

describe('the fleet’s terminals', () => {
  it('counts MACs up from the first, across bytes', () => {
    expect(terminalMacs(['02:00:00:00:00:fe'], 3)).toEqual(['02:00:00:00:00:fe', '02:00:00:00:00:ff', '02:00:00:00:01:00']);
    expect(terminalMacs(['AA-BB-CC-DD-EE-01', 'aabbccddee02'], null)).toEqual(['aa:bb:cc:dd:ee:01', 'aa:bb:cc:dd:ee:02']);
    expect(terminalMacs([], null)).toEqual(['02:00:00:00:00:01']);
    expect(() => terminalMacs(['ff:ff:ff:ff:ff:ff'], 2)).toThrow('run past');
    expect(() => terminalMacs(['not-a-mac'], null)).toThrow('is not a MAC address');
    expect(() => terminalMacs(['02:00:00:00:00:01', '02:00:00:00:00:02'], 5)).toThrow('not both');
  });

  it('gives each terminal a loopback address of its own when the relays are on loopback', () => {
    expect([0, 1, 253, 254].map((i) => sourceAddress(i, 'auto', true))).toEqual(['127.77.0.1', '127.77.0.2', '127.77.0.254', '127.77.1.1']);
    expect(sourceAddress(5, 'auto', false)).toBeNull();
    expect(sourceAddress(5, 'system', true)).toBeNull();
    expect(sourceAddress(5, '10.20.0.99', true)).toBe('10.20.0.99');
    expect(() => sourceAddress(254 * 256, 'auto', true)).toThrow('at most');
  });
});

describe('the boot report', () => {
  it('takes nearest-rank percentiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect([percentile(values, 50), percentile(values, 99), percentile(values, 100), percentile([], 50)]).toEqual([50, 99, 100, null]);
    expect(percentile([7], 99)).toBe(7);
  });

  it('summarises the booted terminals per phase and counts failures by what they said', () => {
    const reports = [report('a', true, 100, 150), report('b', true, 300, 350), report('c', false, 0, 40), report('d', false, 0, 45)];
    reports[3].error = 'HTTP 503 from http://a/boot.ipxe?mac=02:00:00:00:00:04';
    reports[2].error = 'HTTP 503 from http://a/boot.ipxe?mac=02:00:00:00:00:03';
    const summary = summarise(reports, 400);
    expect(summary).toMatchObject({ terminals: 4, booted: 2, failed: 2, allBootedMs: null, failures: [{ error: 'script: HTTP 503 from http://a/boot.ipxe?mac=<mac>', count: 2 }] });
    expect(summary.phases.find((p) => p.phase === 'firmware')).toEqual({ phase: 'firmware', p50: 100, p99: 300, max: 300 });
    expect(summary.phases.find((p) => p.phase === 'dhcp')).toEqual({ phase: 'dhcp', p50: null, p99: null, max: null });
    expect(summarise(reports.slice(0, 2), 400).allBootedMs).toBe(400);
    expect(summaryLines(summary)[0]).toBe('summary: 2 of 4 terminals booted, 2 failed');
    expect(summaryLines(summary)).toContain('failed: 2 × script: HTTP 503 from http://a/boot.ipxe?mac=<mac>');
  });

  it('prints a terminal’s phases on one line, and why it failed', () => {
    expect(reportLine(report('a', true, 100, 150))).toMatch(/^a {2}booted {2}dhcp - {2}loader 10 ms {2}script 2\.0 ms {2}firmware 100 ms {2}config - {2}session - {2}total 150 ms/);
    expect(reportLine({ ...report('c', false, 0, 40), error: 'HTTP 503 from http://a/boot.ipxe' })).toMatch(/^c {2}FAILED in script after 1 attempt\(s\): HTTP 503 from http:\/\/a\/boot\.ipxe/);
  });
});
