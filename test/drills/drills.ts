import { compareChanges } from '../../functions/domain/merge';
import { waitFor } from '../../infra/local/processes';
import type { ApiClient } from '../support/handler';
import { licensePayload } from '../support/licensing';
import { configurationOf, eventually, settled, type PairMember } from '../support/pair';
import type { FailureId, Outcome } from './matrix';
import { installLicence, type DrillSite, TERMINALS } from './site';
import { bootOnce, type BootResult, EmulatedTerminal } from './terminal';

/* eslint-disable @typescript-eslint/no-explicit-any */

/**
 * The drills: each puts the site in one failure, acts as the plant would (a terminal reboots,
 * an admin makes a change), reads what happened, and returns it as an Outcome in the words of
 * the matrix. Each leaves the site as it found it (handlers, relays and terminal servers back
 * up), so that the next drill starts from a whole site.
 */
export interface DrillContext {
  site: DrillSite;
  /** The terminal most drills watch: booted through both relays before the first drill, running. */
  terminal: EmulatedTerminal;
}

export type Drill = (ctx: DrillContext) => Promise<Outcome>;

const sourceFact = (r: BootResult) => (r.booted ? (r.source === 'live' ? 'live' : 'last-known-good') : `not booted (${r.code})`);
const bootOutcome = (r: BootResult, ...facts: string[]): Outcome =>
  r.booted ? { kind: 'boots', facts: [sourceFact(r), ...facts] } : { kind: r.code === 'no_configuration' || r.code === 'no_offer' ? 'waits' : 'refused', code: r.code, facts };

const alive = (m: PairMember) => m.handler.child.exitCode === null && m.handler.child.signalCode === null;
const members = (site: DrillSite) => ({ a: site.a, b: site.b });

/** The role names of the handlers running now. */
const running = (site: DrillSite) =>
  Object.entries(members(site))
    .filter(([, m]) => alive(m))
    .map(([k]) => (k === 'a' ? 'primary' : 'secondary'));

/** Waits until every relay's /healthz says each named handler is up (healthy, or up but refusing boots) or down. */
async function relaysSee(site: DrillSite, states: Partial<Record<'a' | 'b', 'up' | 'down'>>, relays = site.relays): Promise<void> {
  for (const relay of relays)
    await waitFor(
      async () => {
        const health = (await (await fetch(`${relay.process.http}/healthz`)).json()) as { handlers: { url: string; healthy: boolean; refusesBoots: string | null }[] };
        return Object.entries(states).every(([which, state]) => {
          const h = health.handlers.find((x) => x.url === site[which as 'a' | 'b'].handler.url);
          return h && (state === 'down' ? !h.healthy : h.healthy || h.refusesBoots !== null);
        });
      },
      () => `${relay.id} to see handlers ${JSON.stringify(states)}`,
    );
}

/** Kills the named handlers (SIGKILL: a power cut, not a clean stop) and waits until the relays noticed. */
async function down(site: DrillSite, ...which: ('a' | 'b')[]): Promise<void> {
  await Promise.all(which.filter((w) => alive(site[w])).map((w) => site[w].handler.kill()));
  await relaysSee(site, Object.fromEntries(which.map((w) => [w, 'down'])));
}

/** Starts every killed handler again with its data, and waits until the relays use them. */
async function restore(site: DrillSite): Promise<void> {
  const dead = (['a', 'b'] as const).filter((w) => !alive(site[w]));
  await Promise.all(dead.map((w) => site.restart(w)));
  await relaysSee(site, { a: 'up', b: 'up' });
}

/** A write the admin tries: the answer's status and code, or `unreachable` when nothing answers. */
async function attempt(call: () => Promise<{ status: number; body: any }>): Promise<{ status: number; code: string | null; body: any }> {
  try {
    const res = await call();
    return { status: res.status, code: res.body?.code ?? null, body: res.body };
  } catch {
    return { status: 0, code: 'unreachable', body: null };
  }
}

const terminalPath = (site: DrillSite, mac: string) => `/api/v1/terminals/${site.terminalIds.get(mac)}`;
const shadow = (api: ApiClient, mac: string) => attempt(() => api.post(`/api/v1/terminals/${mac}/shadow`, {}));
const shadowFact = (r: { status: number; code: string | null }) => (r.status === 201 ? 'granted' : (r.code ?? String(r.status)));

/** The terminal reboots with relay A stopped; which servers serve boots is asked of each with relay B's token. */
const relayADownReboot: Drill = async ({ site, terminal }) => {
  const relayA = site.relays[0];
  await relayA.stop();
  try {
    const result = await terminal.reboot();
    const serving: string[] = [];
    const refusals: string[] = [];
    for (const [role, m] of [['primary', site.a], ['secondary', site.b]] as const) {
      const res = await fetch(`${m.handler.url}/api/v1/boot/terminals/${terminal.mac}`, { headers: { authorization: `Bearer ${site.relayTokens['relay-b']}`, 'x-tandem-relay': 'relay-b' } });
      const body = (await res.json()) as { code?: string };
      if (res.status === 200) serving.push(role);
      else refusals.push(`${role}: ${body.code ?? res.status}`);
    }
    const servers = `servers serving boots: ${serving.join(', ')}${refusals.length ? ` (${refusals.join(', ')})` : ''}`;
    return result.booted ? { kind: 'boots', facts: [`via ${result.relay}`, sourceFact(result), servers] } : bootOutcome(result, servers);
  } finally {
    await relayA.restart();
  }
};

/** The primary dies under a running terminal; the terminal does not notice. */
const primaryDownRunning: Drill = async ({ site, terminal }) => {
  const before = terminal.document?.configVersion;
  if (!before || !(await terminal.sessionAnswers())) throw new Error('the terminal is not running before the drill');
  await down(site, 'a');
  const facts: string[] = [];
  if (await terminal.sessionAnswers()) facts.push('session answers');
  if (terminal.document?.configVersion === before) facts.push('configuration held in memory');
  // The primary stays down: the next drill reboots this terminal in the same failure.
  return { kind: facts.length === 2 ? 'keeps running' : 'waits', facts };
};

/**
 * The terminal reboots while the primary is down. With a single server, a relay with nothing
 * cached (a new relay, started now) is asked too: it can only wait for the server.
 */
const primaryDownReboot: Drill = async ({ site, terminal }) => {
  await down(site, 'a');
  try {
    const result = await terminal.reboot();
    const facts: string[] = [];
    if (result.booted && result.source === 'live') facts.push(`served by the ${running(site).join(' or ')}`);
    if (site.mode === 'none') {
      const fresh = await site.startRelay('relay-c');
      try {
        const before = await bootOnce(terminal.mac, [fresh]);
        await restore(site);
        await relaysSee(site, { a: 'up' }, [fresh]);
        const after = await bootOnce(terminal.mac, [fresh]);
        facts.push(
          `a relay with nothing cached: ${before.booted ? `boots (${sourceFact(before)})` : `waits (${before.code})`}, ${after.booted ? 'boots once the server is back' : `still not booted once the server is back (${after.code})`}`,
        );
      } finally {
        await fresh.stop();
      }
    }
    return bootOutcome(result, ...facts);
  } finally {
    await restore(site);
  }
};

/** Both handlers die; the terminal reboots from what a relay holds. */
const bothDownReboot: Drill = async ({ site, terminal }) => {
  await down(site, 'a', 'b');
  try {
    return bootOutcome(await terminal.reboot());
  } finally {
    await restore(site);
  }
};

/** An admin changes the terminal while the primary is down: where can the change be made, and when does the terminal get it? */
const changePrimaryDown: Drill = async ({ site, terminal }) => {
  const path = terminalPath(site, terminal.mac);
  const value = `changed-${site.mode}-${Date.now()}`;
  const gotIt = async () => {
    const result = await terminal.reboot();
    return result.booted && result.document.hardwareModel === value;
  };
  await down(site, 'a');
  try {
    const facts: string[] = [];
    if (site.mode === 'none') {
      const onPrimary = await attempt(() => site.a.admin.patch(path, { hardwareModel: value }));
      facts.push(onPrimary.code === 'unreachable' ? 'the one server is unreachable' : `the one server answered ${onPrimary.status}`);
      facts.push(`shadowing on the secondary: ${shadowFact(await shadow(site.b.admin, terminal.mac))}`);
      await restore(site);
      await site.a.admin.patch(path, { hardwareModel: value });
      if (await gotIt()) facts.push('the change made once the server is back boots with the terminal');
      return { kind: onPrimary.code === 'unreachable' ? 'waits' : 'converges', facts };
    }
    const onSecondary = await attempt(() => site.b.admin.patch(path, { hardwareModel: value }));
    facts.push(`change on the secondary: ${onSecondary.status === 200 ? 'taken' : onSecondary.code}`);
    facts.push(`shadowing on the secondary: ${shadowFact(await shadow(site.b.admin, terminal.mac))}`);
    if (onSecondary.status === 200) {
      if (await gotIt()) facts.push('the terminal boots with it at once');
      await restore(site);
      const onPrimary = await eventually(site.a.admin, path, (r) => r.body?.hardwareModel === value, 'the change to reach the primary').catch(() => null);
      if (onPrimary) facts.push('the primary has it once back');
      return { kind: 'converges', facts };
    }
    const unchanged = (await site.b.admin.get(path)).body?.hardwareModel !== value;
    await restore(site);
    const made = await site.a.admin.patch(path, { hardwareModel: value });
    const reached = made.status === 200 && (await eventually(site.b.admin, path, (r) => r.body?.hardwareModel === value, 'the change to reach the secondary').catch(() => null));
    if (unchanged && reached && (await gotIt())) facts.push('the change made once the primary is back reaches the secondary and boots with the terminal');
    return { kind: 'refused', code: onSecondary.code ?? String(onSecondary.status), facts };
  } finally {
    await restore(site);
  }
};

/** The link between the pair is cut, both sides are edited, the link heals: does the pair converge, and how? */
const partition: Drill = async ({ site }) => {
  const mac = site.macs[4];
  const path = terminalPath(site, mac);
  const { a, b } = site;
  const cut = () => {
    site.links.toA.cut();
    site.links.toB.cut();
  };
  const heal = () => {
    site.links.toA.heal();
    site.links.toB.heal();
  };
  cut();
  try {
    const facts: string[] = [];
    if (site.mode === 'none') {
      const onA = await a.admin.patch(path, { hardwareModel: 'edited-on-a' });
      const onB = await b.admin.post('/api/v1/terminal-servers', { name: 'edited-on-b', host: '127.0.0.1', port: 1 });
      heal();
      const run = await b.admin.post('/api/v1/sync/run', {});
      const code = run.body?.code ?? run.body?.error?.code ?? null;
      facts.push(`the primary answers no peer: ${code}`);
      const aHasB = (await a.admin.get(`/api/v1/terminal-servers/${onB.body.id}`)).status === 200;
      const bHasA = (await b.admin.get(path)).body?.hardwareModel === 'edited-on-a';
      if (onA.status === 200 && onB.status === 201 && !aHasB && !bHasA) facts.push('each server keeps only its own edit once healed');
      return { kind: run.status === 200 ? 'converges' : 'refused', code, facts };
    }
    if (site.mode === 'mirrored') {
      const onA = await a.admin.patch(path, { hardwareModel: 'edited-on-a' });
      const onB = await attempt(() => b.admin.patch(path, { hardwareModel: 'edited-on-b' }));
      facts.push(`edit on the secondary: ${onB.status === 200 ? 'taken' : onB.code}`);
      const runCut = await a.admin.post('/api/v1/sync/run', {});
      facts.push(`"synchronise now" while cut: ${runCut.body?.code ?? runCut.body?.outcome}`);
      heal();
      const arrived = onA.status === 200 && (await eventually(b.admin, path, (r) => r.body?.hardwareModel === 'edited-on-a', "the primary's edit to reach the secondary").catch(() => null));
      if (arrived) facts.push("the primary's edit reaches the secondary once healed, unasked");
      if (JSON.stringify(await configurationOf(a.admin)) === JSON.stringify(await configurationOf(b.admin))) facts.push('both servers hold the same configuration');
      const runHealed = await a.admin.post('/api/v1/sync/run', {});
      facts.push(`"synchronise now": ${runHealed.body?.outcome ?? runHealed.body?.code}`);
      return { kind: arrived ? 'converges' : 'waits', facts };
    }
    const conflictsBefore = await Promise.all([a, b].map(async (m) => (await m.admin.get(`/api/v1/sync/conflicts?recordId=${site.terminalIds.get(mac)}`)).body.items.length as number));
    const onA = await a.admin.patch(path, { hardwareModel: 'edited-on-a' });
    const onB = await b.admin.patch(path, { hardwareModel: 'edited-on-b', videoResolution: '1280x1024' });
    const sideA = await a.admin.post('/api/v1/terminal-servers', { name: 'made-on-a', host: '127.0.0.1', port: 2 });
    const sideB = await b.admin.post('/api/v1/terminal-servers', { name: 'made-on-b', host: '127.0.0.1', port: 3 });
    if ([onA.status, onB.status, sideA.status - 1, sideB.status - 1].every((s) => s === 200)) facts.push('edits taken on both sides while cut');
    heal();
    await settled(site).catch(() => {});
    const [configA, configB] = await Promise.all([configurationOf(a.admin), configurationOf(b.admin)]);
    if (JSON.stringify(configA) === JSON.stringify(configB) && configA['terminal-servers'][sideB.body.id] && configB['terminal-servers'][sideA.body.id])
      facts.push('both servers hold the same configuration once healed, unasked');
    const changeOf = async (api: ApiClient, origin: string) => (await api.get(`/api/v1/changes?recordId=${site.terminalIds.get(mac)}&server=${origin}&limit=1`)).body.items[0];
    const fromA = await changeOf(a.admin, 'server-a');
    const fromB = await changeOf(b.admin, 'server-b');
    const winner = compareChanges(fromA, fromB) > 0 ? fromA : fromB;
    const rows = await Promise.all([a, b].map(async (m) => (await m.admin.get(path)).body));
    if (rows.every((row) => JSON.stringify(row) === JSON.stringify(winner.after))) facts.push('the concurrent edit settled on the same winner on both');
    const conflictsAfter = await Promise.all(
      [a, b].map(async (m) => (await m.admin.get(`/api/v1/sync/conflicts?recordId=${site.terminalIds.get(mac)}`)).body.items as { winnerChangeId: string }[]),
    );
    if (conflictsAfter.every((items, i) => items.length === conflictsBefore[i] + 1 && items.some((c) => c.winnerChangeId === winner.changeId)))
      facts.push('one conflict reported on each server');
    return { kind: facts.length === 4 ? 'converges' : 'waits', facts };
  } finally {
    heal();
  }
};

/** The terminal server of the running session dies; the session moves to the next in the list. */
const terminalServerDies: Drill = async ({ site, terminal }) => {
  const from = terminal.sessionServer();
  const server = site.terminalServers.find((ts) => ts.name === from);
  if (!server) throw new Error(`the terminal has no session on a terminal server of the site (${from})`);
  await server.die();
  try {
    const to = await waitFor(async () => terminal.sessionServer() !== from && terminal.sessionServer(), () => 'the session to move', 15_000).catch(() => null);
    const facts = to ? [`session moved to ${to}`] : ['session lost'];
    if (await terminal.sessionAnswers()) facts.push('session answers');
    return { kind: facts.length === 2 ? 'keeps running' : 'waits', facts };
  } finally {
    await server.revive();
  }
};

/** Terminals boot one after the other until the licence refuses one; what each server leased is read back. */
const licenceExceeded: Drill = async ({ site, terminal }) => {
  const facts: string[] = [];
  const view = (await site.a.admin.get('/api/v1/license')).body;
  facts.push(`licence: ${view.mode}`);
  const usage = async (m: PairMember) => (await m.admin.get('/api/v1/license/usage')).body as { licensed: number; leases: number; mode: string };
  const products = (payload: any) =>
    payload.products.map((p: any) => `${p.product} ×${p.quantity}${p.appliesTo ? ` on the ${p.appliesTo}` : ''}`).join(', ');
  if (site.mode === 'full') {
    const [onA, onB] = await Promise.all([usage(site.a), usage(site.b)]);
    facts.push(`${products(view.license)}: ${onA.licensed === onB.licensed ? `${onA.licensed} on each server` : `${onA.licensed} and ${onB.licensed}`}`);
    const ids = view.servers.map((s: any) => s.installationId);
    const enterprise = (redundancy: 'mirrored' | 'full', products: any[]) =>
      site.vendor.sign(
        licensePayload(ids[0], {
          edition: 'enterprise',
          redundancy,
          installations: [
            { id: ids[0], role: 'primary' },
            { id: ids[1], role: 'secondary' },
          ],
          products,
        }),
      );
    const inconsistent = await site.a.admin.call('PUT', '/api/v1/license', await enterprise('mirrored', [{ product: 'mirrored-terminal-connection', quantity: 3 }]));
    facts.push(`enterprise licence without full redundancy: ${inconsistent.body?.code}`);
    const perServer = await enterprise('full', [
      { product: 'terminal-connection', quantity: 2, appliesTo: 'primary' },
      { product: 'terminal-connection', quantity: 3, appliesTo: 'secondary' },
    ]);
    await installLicence(site, perServer);
    const replaced = (await site.b.admin.get('/api/v1/license')).body;
    facts.push(`enterprise licence: ${replaced.mode}, ${products(replaced.license)}`);
  } else facts.push(products(view.license));

  let refused: BootResult | null = null;
  for (const mac of site.macs.slice(0, TERMINALS)) {
    const result = await bootOnce(mac, site.relays);
    if (!result.booted) {
      refused = result;
      break;
    }
  }
  for (const [role, m] of [['primary', site.a], ['secondary', site.b]] as const) {
    const u = await usage(m);
    const servesNone = await fetch(`${m.handler.url}/api/v1/boot/terminals/${terminal.mac}`, { headers: { authorization: `Bearer ${site.relayTokens['relay-a']}` } });
    const code = servesNone.status === 403 ? ((await servesNone.json()) as { code: string }).code : null;
    facts.push(code === 'redundancy_not_licensed' ? `${role}: ${code}` : `${role}: ${u.leases} of ${u.licensed} leased`);
  }
  if ((await terminal.reboot()).booted) facts.push('a leased terminal still boots');
  if (!refused) return { kind: 'boots', facts: [...facts, `all ${TERMINALS} terminals booted`] };
  return { kind: refused.code === 'no_configuration' ? 'waits' : 'refused', code: refused.code, facts };
};

export const DRILLS: Record<FailureId, Drill> = {
  'relay-a-down-reboot': relayADownReboot,
  'primary-down-running': primaryDownRunning,
  'primary-down-reboot': primaryDownReboot,
  'both-down-reboot': bothDownReboot,
  'change-primary-down': changePrimaryDown,
  partition,
  'terminal-server-dies': terminalServerDies,
  'licence-exceeded': licenceExceeded,
};
