/**
 * The one log format of the handler and the relay, as pino options: one JSON object a line,
 * `time` (ISO 8601: the caller adds pino's isoTime, whose build differs on Workers), `level` by its name, the caller's fields, the message under `messageKey`.
 * Plain data and pure functions, so that both sides build their pino from it.
 */
export function logFormat(options: { level: string; messageKey: string }) {
  const formatters = { level: (label: string) => ({ level: label }), log: plain };
  return {
    level: options.level,
    base: null,
    messageKey: options.messageKey,
    formatters,
  };
}

/** What JSON would lose or refuse: an Error becomes its message, a bigint its decimal digits. */
function plain(record: Record<string, unknown>): Record<string, unknown> {
  let out = record;
  for (const key in record) {
    const value = record[key];
    if (value instanceof Error || typeof value === 'bigint') {
      if (out === record) out = { ...record };
      out[key] = value instanceof Error ? value.message : String(value);
    }
  }
  return out;
}
