/**
 * Pure: what one terminal's boot took, phase by phase, and the summary of a fleet. The phases
 * follow each other: proxyDHCP, the boot loader over TFTP, the per-terminal script (with the
 * loader's own DHCP request), the firmware over HTTP, the configuration, the display sessions.
 */
export const PHASES = ['dhcp', 'loader', 'script', 'firmware', 'config', 'session'] as const;
export type Phase = (typeof PHASES)[number];

export interface BootReport {
  mac: string;
  ok: boolean;
  /** Why the boot failed, in the words of the step that failed. */
  error: string | null;
  /** The phase that failed, if one did. */
  failedPhase: Phase | null;
  attempts: number;
  /** Milliseconds per phase of the boot that counted (the last attempt); null: skipped or not reached. */
  phases: Record<Phase, number | null>;
  /** From power-on (the first attempt) to the last session opened or the failure. */
  totalMs: number;
  /** Where each step was served from (relay base URL, host:port), for the operator. */
  servedBy: Partial<Record<Phase, string>>;
  firmware: string | null;
  sessions: string[];
  /** What the boot scripts echoed (why a relay refused, say). */
  messages: string[];
}

export function emptyPhases(): Record<Phase, number | null> {
  return { dhcp: null, loader: null, script: null, firmware: null, config: null, session: null };
}

/** Nearest-rank percentile of the values (p in 0..100); null for none. */
export function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export interface PhaseFigures {
  phase: Phase | 'total';
  p50: number | null;
  p99: number | null;
  max: number | null;
}

export interface FleetSummary {
  terminals: number;
  booted: number;
  failed: number;
  /** From the start of the run until the last terminal had its configuration and sessions (booted ones). */
  allBootedMs: number | null;
  phases: PhaseFigures[];
  /** Failures by what they said, most common first. */
  failures: Array<{ error: string; count: number }>;
}

export function summarise(reports: BootReport[], wallMs: number | null): FleetSummary {
  const booted = reports.filter((r) => r.ok);
  const figures = (phase: Phase | 'total', values: number[]): PhaseFigures => ({ phase, p50: percentile(values, 50), p99: percentile(values, 99), max: values.length ? Math.max(...values) : null });
  const counts = new Map<string, number>();
  for (const r of reports) {
    if (r.ok) continue;
    // The same failure of many terminals is one line: their MACs and addresses set aside.
    const key = `${r.failedPhase ?? 'boot'}: ${r.error}`.replace(/([0-9a-f]{2}:){5}[0-9a-f]{2}/g, '<mac>').replace(/127\.77\.\d+\.\d+/g, '<terminal>');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return {
    terminals: reports.length,
    booted: booted.length,
    failed: reports.length - booted.length,
    allBootedMs: booted.length === reports.length ? wallMs : null,
    phases: [
      ...PHASES.map((phase) => figures(phase, booted.flatMap((r) => (r.phases[phase] === null ? [] : [r.phases[phase]!])))),
      figures('total', booted.map((r) => r.totalMs)),
    ],
    failures: [...counts].map(([error, count]) => ({ error, count })).sort((a, b) => b.count - a.count),
  };
}

const ms = (value: number | null) => (value === null ? '-' : value < 10 ? `${value.toFixed(1)} ms` : `${Math.round(value)} ms`);

/** One line per terminal: its phases, where it booted from, what it runs. */
export function reportLine(r: BootReport): string {
  const phases = PHASES.map((phase) => `${phase} ${ms(r.phases[phase])}`).join('  ');
  if (!r.ok) return `${r.mac}  FAILED in ${r.failedPhase ?? 'boot'} after ${r.attempts} attempt(s): ${r.error}  [${phases}]${r.messages.length ? `  script said: ${r.messages.join(' / ')}` : ''}`;
  const sessions = r.sessions.length ? `sessions ${r.sessions.join(', ')}` : 'no display client';
  return `${r.mac}  booted  ${phases}  total ${ms(r.totalMs)}  (loader ${r.servedBy.loader ?? '-'}, firmware ${r.firmware ?? '-'} from ${r.servedBy.firmware ?? '-'}, config ${r.servedBy.config ?? '-'}; ${sessions})`;
}

export function summaryLines(s: FleetSummary): string[] {
  const widths = [9, 10, 10, 10];
  const row = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join(' ').trimEnd();
  return [
    `summary: ${s.booted} of ${s.terminals} terminals booted, ${s.failed} failed${s.allBootedMs === null ? '' : `; all had their configuration and sessions after ${ms(s.allBootedMs)}`}`,
    row(['phase', 'p50', 'p99', 'max']),
    ...s.phases.map((f) => row([f.phase, ms(f.p50), ms(f.p99), ms(f.max)])),
    ...s.failures.map((f) => `failed: ${f.count} × ${f.error}`),
  ];
}
