import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../infra/local/processes';
import type { Mode } from './site';

/**
 * The drill matrix as data: every failure, for every redundancy mode, with the outcome the
 * design promises; and for every row of the design's redundancy table
 * (docs/architecture.md, "Redundancy modes"), the drill that checks its cells.
 */

export const MODES: Mode[] = ['none', 'mirrored', 'full'];

export type OutcomeKind = 'boots' | 'keeps running' | 'refused' | 'converges' | 'waits';

/** An outcome: its kind, the refusal code where there is one, and the facts a drill saw that make it so. */
export interface Outcome {
  kind: OutcomeKind;
  code?: string;
  facts: string[];
}

export const FAILURES = [
  { id: 'relay-a-down-reboot', title: 'relay A down, the terminal reboots' },
  { id: 'primary-down-running', title: 'primary handler down, the terminal running' },
  { id: 'primary-down-reboot', title: 'primary handler down, the terminal reboots' },
  { id: 'both-down-reboot', title: 'both handlers down, the terminal reboots' },
  { id: 'change-primary-down', title: 'a configuration change while the primary is down' },
  { id: 'partition', title: 'a partition between the pair, edits on both sides, then healed' },
  { id: 'terminal-server-dies', title: 'the terminal server dies mid-session' },
  { id: 'licence-exceeded', title: 'the licence count exceeded' },
] as const;
export type FailureId = (typeof FAILURES)[number]['id'];

/** Which drill checks each row of the design's redundancy table (every mode's cell of it). */
export const DESIGN_ROW_DRILLS: Record<string, FailureId[]> = {
  servers: ['relay-a-down-reboot'],
  'master licence says': ['licence-exceeded'],
  'product licences': ['licence-exceeded'],
  'terminals boot from': ['relay-a-down-reboot'],
  'configuration changes': ['change-primary-down'],
  'shadowing and other admin actions': ['change-primary-down'],
  synchronisation: ['partition'],
  'server down, terminal keeps running': ['primary-down-running'],
  'server down, terminal reboots': ['primary-down-reboot', 'both-down-reboot'],
};

/** What the terminal server drill checks: a term of the design, not a row of the redundancy table. */
export const FAILOVER_TERM = 'failover: two or more terminal servers that a terminal can run its desktop session from';

const boots = (...facts: string[]): Outcome => ({ kind: 'boots', facts });
const keepsRunning: Outcome = { kind: 'keeps running', facts: ['session holds', 'configuration held in memory'] };
const movesSession: Outcome = { kind: 'keeps running', facts: ['session moved to rds-2', 'session holds'] };

/** The outcome each drill must see, by failure and mode. */
export const EXPECTED: Record<FailureId, Record<Mode, Outcome>> = {
  'relay-a-down-reboot': {
    none: boots('via relay-b', 'live', 'servers serving boots: primary (secondary: redundancy_not_licensed)'),
    mirrored: boots('via relay-b', 'live', 'servers serving boots: primary, secondary'),
    full: boots('via relay-b', 'live', 'servers serving boots: primary, secondary'),
  },
  'primary-down-running': { none: keepsRunning, mirrored: keepsRunning, full: keepsRunning },
  'primary-down-reboot': {
    none: boots('last-known-good', 'a relay with nothing cached: waits, boots once the server is back'),
    mirrored: boots('live', 'served by the secondary'),
    full: boots('live', 'served by the secondary'),
  },
  'both-down-reboot': { none: boots('last-known-good'), mirrored: boots('last-known-good'), full: boots('last-known-good') },
  'change-primary-down': {
    none: {
      kind: 'waits',
      facts: ['the one server is unreachable', 'shadowing on the secondary: redundancy_not_licensed', 'the change made once the server is back boots with the terminal'],
    },
    mirrored: {
      kind: 'refused',
      code: 'mirrored_secondary_read_only',
      facts: [
        'change on the secondary: mirrored_secondary_read_only',
        'shadowing on the secondary: mirrored_secondary_read_only',
        'the change made once the primary is back reaches the secondary and boots with the terminal',
      ],
    },
    full: {
      kind: 'converges',
      facts: ['change on the secondary: taken', 'shadowing on the secondary: granted', 'the terminal boots with it at once', 'the primary has it once back'],
    },
  },
  partition: {
    none: { kind: 'refused', code: 'sync_not_licensed', facts: ['the primary answers no peer: sync_not_licensed', 'each server keeps only its own edit once healed'] },
    mirrored: {
      kind: 'converges',
      facts: [
        'edit on the secondary: mirrored_secondary_read_only',
        '"synchronise now" while cut: peer_unreachable',
        "the primary's edit reaches the secondary once healed, unasked",
        'both servers hold the same configuration',
        '"synchronise now": synced',
      ],
    },
    full: {
      kind: 'converges',
      facts: [
        'edits taken on both sides while cut',
        'both servers hold the same configuration once healed, unasked',
        'the concurrent edit settled on the same winner on both',
        'one conflict reported on each server',
      ],
    },
  },
  'terminal-server-dies': { none: movesSession, mirrored: movesSession, full: movesSession },
  'licence-exceeded': {
    none: {
      kind: 'refused',
      code: 'license_exhausted',
      facts: ['licence: none', 'terminal-connection ×3 on the primary', 'primary: 3 of 3 leased', 'secondary: redundancy_not_licensed', 'a leased terminal still boots'],
    },
    mirrored: {
      kind: 'refused',
      code: 'license_exhausted',
      facts: ['licence: mirrored', 'mirrored-terminal-connection ×3', 'primary: 3 of 3 leased', 'secondary: 3 of 3 leased', 'a leased terminal still boots'],
    },
    full: {
      kind: 'refused',
      code: 'license_exhausted',
      facts: [
        'licence: full',
        'redundant-terminal-connection ×3: 3 on each server',
        'enterprise licence without full redundancy: license_inconsistent',
        'enterprise licence: full, terminal-connection ×2 on the primary, terminal-connection ×3 on the secondary',
        'primary: 2 of 2 leased',
        'secondary: 3 of 3 leased',
        'a leased terminal still boots',
      ],
    },
  },
};

/** The design's redundancy table, read from docs/architecture.md: row label → mode → cell text. */
export function designRedundancyTable(markdown = readFileSync(join(repoRoot, 'docs/architecture.md'), 'utf8')): Map<string, Record<Mode, string>> {
  const section = markdown.split(/^## /m).find((s) => s.startsWith('Redundancy modes'));
  if (!section) throw new Error('docs/architecture.md has no "Redundancy modes" section');
  const rows = section
    .split('\n')
    .filter((line) => line.startsWith('|'))
    .map((line) => line.slice(1, -1).split('|').map((cell) => cell.trim()));
  const [header, , ...body] = rows;
  const columns = MODES.map((mode) => header.findIndex((h) => h.startsWith(mode)));
  if (columns.some((c) => c < 1)) throw new Error(`the redundancy table's header is not none | mirrored | full: ${header.join(' | ')}`);
  return new Map(body.map((cells) => [cells[0], Object.fromEntries(MODES.map((mode, i) => [mode, cells[columns[i]]])) as Record<Mode, string>]));
}

export const describeOutcome = (o: Outcome) => `${o.kind}${o.code ? ` (${o.code})` : ''}: ${o.facts.join('; ')}`;

export interface Observation {
  mode: Mode;
  failure: FailureId;
  observed: Outcome | null;
  /** Why the drill did not finish, when it did not. */
  error?: string;
}

export const passed = (o: Observation) => o.observed !== null && JSON.stringify(o.observed) === JSON.stringify(EXPECTED[o.failure][o.mode]);

/** Rows of cells as a text table, each column as wide as its widest cell. */
function textTable(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i])).join(' | ').trimEnd());
}

/**
 * The matrix as printed at the end of the run: a table of every failure × mode (verdict and
 * observed outcome), every cell's expected and observed outcome in full, then every cell of the
 * design's table with the drill that checked it.
 */
export function renderMatrix(observations: Observation[], design = designRedundancyTable()): string {
  const find = (mode: Mode, failure: FailureId) => observations.find((o) => o.mode === mode && o.failure === failure);
  const verdict = (o: Observation | undefined) => (!o ? 'not run' : passed(o) ? 'ok' : 'FAILED');
  const short = (o: Observation | undefined) => (o?.observed ? `${o.observed.kind}${o.observed.code ? ` ${o.observed.code}` : ''}` : o?.error ? 'error' : '');
  const lines = ['', 'Redundancy drills: every failure in every mode (verdict, observed outcome)', ''];
  lines.push(...textTable([['failure', ...MODES], ...FAILURES.map((f) => [f.title, ...MODES.map((m) => `${verdict(find(m, f.id))} ${short(find(m, f.id))}`.trim())])]));
  lines.push('', 'Each cell, expected and observed', '');
  for (const failure of FAILURES) {
    lines.push(`${failure.title}`);
    for (const mode of MODES) {
      const o = find(mode, failure.id);
      lines.push(`  ${verdict(o).padEnd(7)} ${mode.padEnd(8)} expected  ${describeOutcome(EXPECTED[failure.id][mode])}`);
      lines.push(`  ${''.padEnd(7)} ${''.padEnd(8)} observed  ${o?.observed ? describeOutcome(o.observed) : (o?.error ?? 'not run')}`);
    }
  }
  lines.push('', 'The design redundancy table (docs/architecture.md): each cell and the drill that checked it', '');
  const rows = [['verdict', 'row / mode', 'checked by', 'design says']];
  for (const [row, cells] of design) {
    const drills = DESIGN_ROW_DRILLS[row] ?? [];
    for (const mode of MODES) {
      const ok = drills.length > 0 && drills.every((d) => verdict(find(mode, d)) === 'ok');
      rows.push([ok ? 'ok' : drills.length ? 'FAILED' : 'UNCHECKED', `${row} / ${mode}`, drills.join(' + ') || 'no drill', cells[mode].replace(/\*\*/g, '')]);
    }
  }
  const failover = MODES.every((m) => verdict(find(m, 'terminal-server-dies')) === 'ok');
  rows.push([failover ? 'ok' : 'FAILED', 'term: failover', 'terminal-server-dies', FAILOVER_TERM]);
  lines.push(...textTable(rows));
  return lines.join('\n');
}
