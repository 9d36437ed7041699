import type { Outcome } from './matrix';
import type { DrillSite } from './site';
import type { HandlerStates } from './site-state';
import type { BootResult, DrillTerminal } from './terminal';

/**
 * A drill puts the site in one failure, acts as the plant would (a terminal reboots, an admin
 * makes a change), reads what happened and returns it as an Outcome in the words of the matrix.
 * It says which handlers it needs up or down when it starts, and whether every relay must run
 * (`needs`, see bringTo), so one site runs every drill with few restarts, in any order; terminal
 * servers and the link between the pair are each drill's to put back.
 */
export interface Drill {
  needs: HandlerStates & { everyRelay?: boolean };
  run: (ctx: DrillContext) => Promise<Outcome>;
}

export interface DrillContext {
  site: DrillSite;
  /** The terminal most drills watch: booted through both relays before the first drill, running. */
  terminal: DrillTerminal;
}

export const bothUp: HandlerStates = { a: 'up', b: 'up' };
export const primaryDown: HandlerStates = { a: 'down', b: 'up' };

/** Where a booted terminal's configuration came from, or why it did not boot. */
export const sourceFact = (r: BootResult) => (r.booted ? (r.source === 'live' ? 'live' : 'last-known-good') : `not booted (${r.code})`);

/** A boot as an outcome: it booted, it waits (nothing to boot from yet), or it was refused with a code. */
export const bootOutcome = (r: BootResult, ...facts: string[]): Outcome =>
  r.booted
    ? { kind: 'boots', facts: [sourceFact(r), ...facts] }
    : { kind: r.code === 'no_configuration' || r.code === 'no_offer' ? 'waits' : 'refused', code: r.code, facts };

/** A call an admin tries: its status and problem code, or `unreachable` when nothing answers. */
export async function attempt(call: () => Promise<{ status: number; body: any }>): Promise<{ status: number; code: string | null; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  try {
    const res = await call();
    return { status: res.status, code: res.body?.code ?? null, body: res.body };
  } catch {
    return { status: 0, code: 'unreachable', body: null };
  }
}
