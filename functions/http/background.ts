import type { Context } from 'hono';

/** Lets the runtime finish work after the response: Workers' waitUntil; on Node the promise simply runs on. */
export function keepRunning(c: Context, work: Promise<unknown> | null): void {
  if (!work) return;
  try {
    c.executionCtx.waitUntil(work);
  } catch {
    /* Node: no execution context */
  }
}
