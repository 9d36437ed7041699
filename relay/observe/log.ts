/** Structured logs: one JSON object a line on stdout. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export function createLogger(
  base: LogFields,
  minLevel: LogLevel = 'info',
  write: (line: string) => void = (line) => process.stdout.write(line),
): Logger {
  const emit = (level: LogLevel, event: string, fields?: LogFields) => {
    if (order[level] < order[minLevel]) return;
    const record = { time: new Date().toISOString(), level, event, ...base, ...fields };
    write(`${JSON.stringify(record, (_k, v) => (v instanceof Error ? v.message : typeof v === 'bigint' ? String(v) : v))}\n`);
  };
  return {
    debug: (e, f) => emit('debug', e, f),
    info: (e, f) => emit('info', e, f),
    warn: (e, f) => emit('warn', e, f),
    error: (e, f) => emit('error', e, f),
    child: (fields) => createLogger({ ...base, ...fields }, minLevel, write),
  };
}
