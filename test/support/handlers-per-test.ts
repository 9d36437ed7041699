import { afterEach } from 'vitest';
import { startHandler, type HandlerProcess } from './handler';

/** Starts handler processes for the tests of a file, each stopped after the test that started it. */
export function handlersPerTest(): (env: Record<string, string>) => Promise<HandlerProcess> {
  const started: HandlerProcess[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((h) => h.stop()));
  });
  return async (env) => {
    const h = await startHandler({ env });
    started.push(h);
    return h;
  };
}

/** A handler's log so far, one parsed JSON object a line. */
export const logEntries = (h: HandlerProcess): Record<string, unknown>[] =>
  h
    .output()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
