import { waitFor } from '../../infra/local/processes';
import type { PairMember } from '../support/pair';
import type { DrillRelay, DrillSite } from './site';

/** Whether a handler of the site is up or down (killed), as a drill needs it. */
export type HandlerState = 'up' | 'down';
export type HandlerStates = { a: HandlerState; b: HandlerState };

export const isAlive = (m: PairMember) => m.handler.child.exitCode === null && m.handler.child.signalCode === null;

/** The roles of the handlers running now. */
export const runningRoles = (site: DrillSite) =>
  (['a', 'b'] as const).filter((w) => isAlive(site[w])).map((w) => (w === 'a' ? 'primary' : 'secondary'));

/** Waits until every relay's /healthz says each named handler is up (healthy, or up and refusing boots) or down. */
export async function relaysSee(site: DrillSite, states: Partial<HandlerStates>, relays: DrillRelay[] = site.relays): Promise<void> {
  for (const relay of relays)
    await waitFor(
      async () => {
        const health = (await (await fetch(`${relay.daemon.http}/healthz`)).json()) as { handlers: { url: string; healthy: boolean; refusesBoots: string | null }[] };
        return Object.entries(states).every(([which, state]) => {
          const h = health.handlers.find((x) => x.url === site[which as 'a' | 'b'].handler.url);
          return h && (state === 'down' ? !h.healthy : h.healthy || h.refusesBoots !== null);
        });
      },
      () => `${relay.id} to see handlers ${JSON.stringify(states)}`,
      60_000,
    );
}

/**
 * Brings the site to the handler states a drill starts from: a handler is killed (SIGKILL, a
 * power cut) or started again on its data, a stopped relay started again when every relay must
 * run; then waits until the relays have noticed.
 */
export async function bringTo(site: DrillSite, needs: Partial<HandlerStates> & { everyRelay?: boolean }): Promise<void> {
  const { everyRelay, ...states } = needs;
  const stopped = (r: DrillRelay) => r.daemon.process.child.exitCode !== null || r.daemon.process.child.signalCode !== null;
  if (everyRelay) await Promise.all(site.relays.filter(stopped).map((r) => r.restart()));
  const wrong = (['a', 'b'] as const).filter((w) => states[w] && isAlive(site[w]) !== (states[w] === 'up'));
  await Promise.all(wrong.map((w) => (states[w] === 'up' ? site.restart(w) : site[w].handler.kill())));
  await relaysSee(site, states, site.relays.filter((r) => !stopped(r)));
}
