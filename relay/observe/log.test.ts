import { describe, expect, it } from 'vitest';
import { jsonLogger } from '../../functions/log';
import { createLogger } from './log';

const parse = (lines: string[]) => lines.map((line) => JSON.parse(line) as Record<string, unknown>);

describe('logs', () => {
  it('relay: one JSON object a line with time, level, event and the fields, below the level left out', () => {
    const lines: string[] = [];
    const log = createLogger({ service: 'relay', pid: 7 }, 'info', (line) => lines.push(line));
    log.debug('hidden', { a: 1 });
    log.info('relay_listening', { port: 69, error: new Error('boom'), bytes: 12n });
    log.child({ worker: 2 }).warn('relay_worker_died');
    expect(lines.every((line) => line.endsWith('\n') && !line.slice(0, -1).includes('\n'))).toBe(true);
    const [listening, died] = parse(lines);
    expect(lines).toHaveLength(2);
    expect(new Date(listening.time as string).toISOString()).toBe(listening.time);
    expect(listening).toMatchObject({ level: 'info', event: 'relay_listening', service: 'relay', pid: 7, port: 69, error: 'boom', bytes: '12' });
    expect(died).toMatchObject({ level: 'warn', event: 'relay_worker_died', service: 'relay', worker: 2 });
  });

  it('handler: the level is one of the fields, info when absent', () => {
    const lines: string[] = [];
    const log = jsonLogger({ component: 'handler' }, (line) => lines.push(line));
    log({ msg: 'started', role: 'primary' });
    log({ level: 'error', msg: 'request failed', path: '/x' });
    expect(lines.every((line) => !line.includes('\n'))).toBe(true);
    expect(parse(lines)).toEqual([
      { time: expect.any(String), level: 'info', component: 'handler', msg: 'started', role: 'primary' },
      { time: expect.any(String), level: 'error', component: 'handler', msg: 'request failed', path: '/x' },
    ]);
  });
});
