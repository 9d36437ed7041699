import type { Log } from './http/context';

/** Structured logs: one JSON object a line. */
export function jsonLogger(fields: Record<string, unknown>, write: (line: string) => void = console.log): Log {
  return (entry) => write(JSON.stringify({ time: new Date().toISOString(), level: 'info', ...fields, ...entry }));
}
