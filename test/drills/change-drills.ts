import { compareChanges } from '../../functions/domain/merge';
import type { ApiClient } from '../support/handler';
import { configurationOf, eventually, settled } from '../support/pair';
import { attempt, bothUp, type Drill, type DrillContext, primaryDown } from './drill';
import type { Outcome } from './matrix';
import type { DrillSite } from './site';
import { bringTo } from './site-state';

/* eslint-disable @typescript-eslint/no-explicit-any */

const terminalPath = (site: DrillSite, mac: string) => `/api/v1/terminals/${site.terminalIds.get(mac)}`;
const sameConfiguration = async (site: DrillSite) => JSON.stringify(await configurationOf(site.a.admin)) === JSON.stringify(await configurationOf(site.b.admin));

/** An admin action on a server: shadowing the terminal (a signed grant), granted or refused with its code. */
async function shadowing(api: ApiClient, mac: string): Promise<string> {
  const res = await attempt(() => api.post(`/api/v1/terminals/${mac}/shadow`, {}));
  return res.status === 201 ? 'granted' : (res.code ?? String(res.status));
}

/**
 * An admin changes the terminal while the primary is down: where can the change be made, and
 * when does the terminal boot with it? (The terminal's hardware model stands for any change.)
 */
export const changePrimaryDown: Drill = {
  needs: primaryDown,
  run: async (ctx) => {
    const value = `changed-${ctx.site.mode}-${Date.now()}`;
    const bootsWithIt = async () => {
      const result = await ctx.terminal.reboot();
      return result.booted && result.document.hardwareModel === value;
    };
    return { none: changeOnSingleServer, mirrored: changeOnMirrored, full: changeOnFull }[ctx.site.mode](ctx, value, bootsWithIt);
  },
};

type ChangeDrill = (ctx: DrillContext, value: string, bootsWithIt: () => Promise<boolean>) => Promise<Outcome>;

const changeOnSingleServer: ChangeDrill = async ({ site, terminal }, value, bootsWithIt) => {
  const path = terminalPath(site, terminal.mac);
  const facts: string[] = [];
  const onPrimary = await attempt(() => site.a.admin.patch(path, { hardwareModel: value }));
  facts.push(onPrimary.code === 'unreachable' ? 'the one server is unreachable' : `the one server answered ${onPrimary.status}`);
  facts.push(`shadowing on the secondary: ${await shadowing(site.b.admin, terminal.mac)}`);
  await bringTo(site, bothUp);
  const made = await site.a.admin.patch(path, { hardwareModel: value });
  if (made.status === 200 && (await bootsWithIt())) facts.push('the change made once the server is back boots with the terminal');
  return { kind: onPrimary.code === 'unreachable' ? 'waits' : 'converges', facts };
};

const changeOnMirrored: ChangeDrill = async ({ site, terminal }, value, bootsWithIt) => {
  const path = terminalPath(site, terminal.mac);
  const onSecondary = await attempt(() => site.b.admin.patch(path, { hardwareModel: value }));
  const facts = [`change on the secondary: ${onSecondary.status === 200 ? 'taken' : onSecondary.code}`, `shadowing on the secondary: ${await shadowing(site.b.admin, terminal.mac)}`];
  const unchanged = (await site.b.admin.get(path)).body?.hardwareModel !== value;
  await bringTo(site, bothUp);
  const made = await site.a.admin.patch(path, { hardwareModel: value });
  const reached = made.status === 200 && (await eventually(site.b.admin, path, (r) => r.body?.hardwareModel === value, 'the change to reach the secondary').catch(() => null));
  if (unchanged && reached && (await bootsWithIt())) facts.push('the change made once the primary is back reaches the secondary and boots with the terminal');
  return onSecondary.status === 200 ? { kind: 'converges', facts } : { kind: 'refused', code: onSecondary.code ?? String(onSecondary.status), facts };
};

const changeOnFull: ChangeDrill = async ({ site, terminal }, value, bootsWithIt) => {
  const path = terminalPath(site, terminal.mac);
  const onSecondary = await attempt(() => site.b.admin.patch(path, { hardwareModel: value }));
  const facts = [`change on the secondary: ${onSecondary.status === 200 ? 'taken' : onSecondary.code}`, `shadowing on the secondary: ${await shadowing(site.b.admin, terminal.mac)}`];
  if (await bootsWithIt()) facts.push('the terminal boots with it at once');
  await bringTo(site, bothUp);
  if (await eventually(site.a.admin, path, (r) => r.body?.hardwareModel === value, 'the change to reach the primary').catch(() => null)) facts.push('the primary has it once back');
  return onSecondary.status === 200 ? { kind: 'converges', facts } : { kind: 'refused', code: onSecondary.code ?? String(onSecondary.status), facts };
};

/**
 * The link between the pair is cut, both sides are edited, the link heals: do the servers
 * converge, which way, and is a concurrent edit settled and reported? (Relays and admins reach
 * both servers all along; only the pair's own traffic is cut.)
 */
export const partition: Drill = {
  needs: bothUp,
  run: async (ctx) => {
    const { links } = ctx.site;
    const heal = () => [links.toA, links.toB].forEach((l) => l.heal());
    [links.toA, links.toB].forEach((l) => l.cut());
    try {
      return await { none: partitionSingleServer, mirrored: partitionMirrored, full: partitionFull }[ctx.site.mode](ctx.site, terminalPath(ctx.site, ctx.site.macs[4]), heal);
    } finally {
      heal();
    }
  },
};

type PartitionDrill = (site: DrillSite, path: string, heal: () => void) => Promise<Outcome>;

const partitionSingleServer: PartitionDrill = async ({ a, b }, path, heal) => {
  const onA = await a.admin.patch(path, { hardwareModel: 'edited-on-a' });
  const onB = await b.admin.post('/api/v1/terminal-servers', { name: 'edited-on-b', host: '127.0.0.1', port: 1 });
  heal();
  // The secondary, without a licence of its own, would pull: the primary does not answer.
  const run = await b.admin.post('/api/v1/sync/run', {});
  const code = run.body?.code ?? null;
  const facts = [`the primary answers no peer: ${code}`];
  const aHasB = (await a.admin.get(`/api/v1/terminal-servers/${onB.body.id}`)).status === 200;
  const bHasA = (await b.admin.get(path)).body?.hardwareModel === 'edited-on-a';
  if (onA.status === 200 && onB.status === 201 && !aHasB && !bHasA) facts.push('each server keeps only its own edit once healed');
  return run.status === 200 ? { kind: 'converges', facts } : { kind: 'refused', code, facts };
};

const partitionMirrored: PartitionDrill = async (site, path, heal) => {
  const { a, b } = site;
  const onA = await a.admin.patch(path, { hardwareModel: 'edited-on-a' });
  const onB = await attempt(() => b.admin.patch(path, { hardwareModel: 'edited-on-b' }));
  const runCut = await a.admin.post('/api/v1/sync/run', {});
  const facts = [`edit on the secondary: ${onB.status === 200 ? 'taken' : onB.code}`, `"synchronise now" while cut: ${runCut.body?.code ?? runCut.body?.outcome}`];
  heal();
  const arrived = onA.status === 200 && (await eventually(b.admin, path, (r) => r.body?.hardwareModel === 'edited-on-a', "the primary's edit to reach the secondary").catch(() => null));
  if (arrived) facts.push("the primary's edit reaches the secondary once healed, unasked");
  if (await sameConfiguration(site)) facts.push('both servers hold the same configuration');
  const runHealed = await a.admin.post('/api/v1/sync/run', {});
  facts.push(`"synchronise now": ${runHealed.body?.outcome ?? runHealed.body?.code}`);
  return { kind: arrived ? 'converges' : 'waits', facts };
};

const partitionFull: PartitionDrill = async (site, path, heal) => {
  const { a, b } = site;
  const recordId = path.split('/').pop();
  const conflicts = async (api: ApiClient) => (await api.get(`/api/v1/sync/conflicts?recordId=${recordId}`)).body.items as { winnerChangeId: string }[];
  const conflictsBefore = await Promise.all([a, b].map(async (m) => (await conflicts(m.admin)).length));
  const edits = [
    await a.admin.patch(path, { hardwareModel: 'edited-on-a' }),
    await b.admin.patch(path, { hardwareModel: 'edited-on-b', videoResolution: '1280x1024' }),
    await a.admin.post('/api/v1/terminal-servers', { name: 'made-on-a', host: '127.0.0.1', port: 2 }),
    await b.admin.post('/api/v1/terminal-servers', { name: 'made-on-b', host: '127.0.0.1', port: 3 }),
  ];
  const facts: string[] = [];
  if (edits.every((e) => e.status === 200 || e.status === 201)) facts.push('edits taken on both sides while cut');
  heal();
  // Nothing asks for a pull: the pair's own timers carry the edits across.
  await settled(site).catch(() => {});
  const [madeOnA, madeOnB] = [edits[2].body.id, edits[3].body.id];
  const bothHold = (await a.admin.get(`/api/v1/terminal-servers/${madeOnB}`)).status === 200 && (await b.admin.get(`/api/v1/terminal-servers/${madeOnA}`)).status === 200;
  if (bothHold && (await sameConfiguration(site))) facts.push('both servers hold the same configuration once healed, unasked');
  const changeFrom = async (api: ApiClient, origin: string) => (await api.get(`/api/v1/changes?recordId=${recordId}&server=${origin}&limit=1`)).body.items[0];
  const [fromA, fromB] = [await changeFrom(a.admin, 'server-a'), await changeFrom(b.admin, 'server-b')];
  const winner = compareChanges(fromA, fromB) > 0 ? fromA : fromB;
  const rows = await Promise.all([a, b].map(async (m) => (await m.admin.get(path)).body));
  if (rows.every((row) => JSON.stringify(row) === JSON.stringify(winner.after))) facts.push('the concurrent edit settled on the same winner on both');
  const conflictsAfter = await Promise.all([a, b].map((m) => conflicts(m.admin)));
  if (conflictsAfter.every((items, i) => items.length === conflictsBefore[i] + 1 && items.some((c) => c.winnerChangeId === winner.changeId)))
    facts.push('one conflict reported on each server');
  return { kind: facts.length === 4 ? 'converges' : 'waits', facts };
};
