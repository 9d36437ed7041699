import pino, { type Logger, type LevelWithSilent } from 'pino';
import { logFormat } from './domain/log-format';

/**
 * Structured logs: one JSON object a line, with `time` (ISO 8601), `level` (its name) and the
 * fields given, written by pino in the format of domain/log-format.ts, which the relay shares.
 *
 * `pino` is two builds: on Node its own, which turns a record into a line itself; in the Workers
 * bundle the one its package names for browsers (wrangler picks it; the Node build would write
 * through fs and thread streams), which hands us the record as an object, turned into the same
 * line here. Both go to `write`, the line with its newline.
 */
export function jsonLines(options: {
  fields: Record<string, unknown>;
  /** The lowest level written. */
  level: LevelWithSilent;
  /** Where the message of logger.info(fields, message) goes. */
  messageKey?: string;
  write: (line: string) => void;
}): Logger {
  const { fields, level, messageKey = 'msg', write } = options;
  const format = logFormat({ level, messageKey });
  return pino({ ...format, timestamp: pino.stdTimeFunctions.isoTime, browser: { formatters: format.formatters, write: (record: object) => write(`${JSON.stringify(record)}\n`) } }, { write }).child(fields);
}

const levels = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace']);

/**
 * The handler's log: one call a record, `level` among its fields (info when absent or not a
 * level pino knows), every level written.
 */
export function jsonLogger(fields: Record<string, unknown>, write: (line: string) => void = console.log): (entry: Record<string, unknown>) => void {
  const logger = jsonLines({ fields, level: 'trace', write: (line) => write(line.endsWith('\n') ? line.slice(0, -1) : line) });
  return ({ level, ...entry }) => {
    if (typeof level === 'string' && levels.has(level)) logger[level as 'info'](entry);
    else logger.info(entry);
  };
}
