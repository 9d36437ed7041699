import pino, { type Logger as Pino, type LevelWithSilent } from 'pino';
import { logFormat } from '../../functions/domain/log-format';

/** Structured logs: one JSON object a line on stdout (pino, as the handler's), the event under `event`. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

export function createLogger(
  base: LogFields,
  minLevel: LogLevel = 'info',
  write: (line: string) => void = (line) => process.stdout.write(line),
): Logger {
  return wrap(pino({ ...logFormat({ level: minLevel satisfies LevelWithSilent, messageKey: 'event' }), timestamp: pino.stdTimeFunctions.isoTime }, { write }).child(base));
}

function wrap(pino: Pino): Logger {
  return {
    debug: (event, fields) => (fields ? pino.debug(fields, event) : pino.debug(event)),
    info: (event, fields) => (fields ? pino.info(fields, event) : pino.info(event)),
    warn: (event, fields) => (fields ? pino.warn(fields, event) : pino.warn(event)),
    error: (event, fields) => (fields ? pino.error(fields, event) : pino.error(event)),
    child: (fields) => wrap(pino.child(fields)),
  };
}
