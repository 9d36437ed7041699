/** One field of a record in two states: a change's before and after, or a conflict's two sides. */
export interface FieldDiff {
  field: string;
  /** The value as JSON text; null where the state lacks the field (or there is no state). */
  left: string | null;
  right: string | null;
  changed: boolean;
}

/** What every stored record carries and a reader of a change does not need to compare. */
const BOOKKEEPING = new Set(['id', 'createdAt']);
/** Shown after the record's own fields. */
const LAST = ['version', 'updatedAt'];

const shown = (state: Record<string, unknown> | null, field: string) => (state && field in state ? JSON.stringify(state[field]) : null);

/**
 * The fields of two states side by side, in the order the first names them, then the second's
 * new ones, the version last. `changedOnly` leaves out what is the same on both sides.
 */
export function diffStates(left: Record<string, unknown> | null, right: Record<string, unknown> | null, changedOnly = false): FieldDiff[] {
  const named = [...new Set([...Object.keys(left ?? {}), ...Object.keys(right ?? {})])].filter((f) => !BOOKKEEPING.has(f));
  const fields = [...named.filter((f) => !LAST.includes(f)), ...LAST.filter((f) => named.includes(f))];
  const rows = fields.map((field) => {
    const l = shown(left, field);
    const r = shown(right, field);
    return { field, left: l, right: r, changed: l !== r };
  });
  return changedOnly ? rows.filter((r) => r.changed) : rows;
}

/** The name a person knows a record by, from either state. */
export function recordName(...states: (Record<string, unknown> | null | undefined)[]): string | null {
  for (const s of states) if (s && typeof s.name === 'string') return s.name;
  for (const s of states) if (s && typeof s.mac === 'string') return s.mac;
  return null;
}
