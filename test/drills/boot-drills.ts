import { startStandInTerminalServer } from '../../infra/emulator/stand-in-terminal-server';
import { waitFor } from '../../infra/local/processes';
import { bootOutcome, bothUp, type Drill, primaryDown, sourceFact } from './drill';
import type { DrillSite } from './site';
import { bringTo, relaysSee, runningRoles } from './site-state';
import { bootOnce, type BootResult, type DrillTerminal } from './terminal';

/** The terminal's session holds: the terminal says which server it is on, and that server has a session open. */
const sessionHolds = (site: DrillSite, terminal: DrillTerminal) =>
  waitFor(async () => (site.terminalServers.find((ts) => ts.name === terminal.sessionServer())?.sessions() ?? 0) > 0, () => 'the session', 5000).then(
    () => true,
    () => false,
  );

/**
 * Relay A dies; the terminal reboots. Which servers serve the terminal is asked of each with
 * relay B's token (while the licence has room: a server whose connections are all in use would
 * refuse a terminal it holds no lease for). Relay A stays down: bringTo starts it again for a
 * drill that needs every relay.
 */
export const relayADownReboot: Drill = {
  needs: { ...bothUp, everyRelay: true },
  run: async ({ site, terminal }) => {
    await site.relays[0].daemon.process.kill();
    const result = await terminal.reboot();
    const serving: string[] = [];
    const refusing: string[] = [];
    for (const [role, m] of [['primary', site.a], ['secondary', site.b]] as const) {
      const res = await fetch(`${m.handler.url}/api/v1/boot/terminals/${terminal.mac}`, {
        headers: { authorization: `Bearer ${site.relayTokens['relay-b']}`, 'x-tandem-relay': 'relay-b' },
      });
      const body = (await res.json()) as { code?: string };
      if (res.status === 200) serving.push(role);
      else refusing.push(`${role}: ${body.code ?? res.status}`);
    }
    const servers = `servers serving boots: ${serving.join(', ')}${refusing.length ? ` (${refusing.join(', ')})` : ''}`;
    return result.booted ? { kind: 'boots', facts: [`via ${result.relay}`, sourceFact(result), servers] } : bootOutcome(result, servers);
  },
};

/** The primary dies under a running terminal: its session and its configuration in memory carry on. */
export const primaryDownRunning: Drill = {
  needs: bothUp,
  run: async ({ site, terminal }) => {
    const before = terminal.document?.configVersion;
    if (!before || !(await sessionHolds(site, terminal))) throw new Error('the terminal is not running before the drill');
    await site.a.handler.kill();
    await relaysSee(site, { a: 'down' });
    const facts: string[] = [];
    if (await sessionHolds(site, terminal)) facts.push('session holds');
    if (terminal.document?.configVersion === before) facts.push('configuration held in memory');
    return { kind: facts.length === 2 ? 'keeps running' : 'waits', facts };
  },
};

/**
 * The terminal reboots while the primary is down. With a single server, a relay with nothing
 * cached (a new one, started now) is asked too: it can only wait for the server to come back.
 */
export const primaryDownReboot: Drill = {
  needs: primaryDown,
  run: async ({ site, terminal }) => {
    const result = await terminal.reboot();
    const facts = result.booted && result.source === 'live' ? [`served by the ${runningRoles(site).join(' or ')}`] : [];
    // A relay that cannot serve may not offer, or offer and send a script that retries: either way the terminal waits.
    const waitsOrBoots = (r: BootResult) => (r.booted ? `boots (${sourceFact(r)})` : r.code === 'no_offer' || r.code === 'no_configuration' ? 'waits' : `refused (${r.code})`);
    if (site.mode === 'none') {
      const fresh = await site.startRelay('relay-c');
      try {
        const before = await bootOnce(terminal.mac, site.dhcp, [fresh]);
        await bringTo(site, bothUp);
        await relaysSee(site, { a: 'up' }, [fresh]);
        const after = await bootOnce(terminal.mac, site.dhcp, [fresh]);
        facts.push(`a relay with nothing cached: ${waitsOrBoots(before)}, ${after.booted ? 'boots once the server is back' : `not booted once the server is back (${after.code})`}`);
      } finally {
        await fresh.stop();
      }
    }
    return bootOutcome(result, ...facts);
  },
};

/** Both handlers are down; the terminal reboots from what a relay holds. */
export const bothDownReboot: Drill = {
  needs: { a: 'down', b: 'down' },
  run: async ({ terminal }) => bootOutcome(await terminal.reboot()),
};

/** The terminal server of the running session dies; the session moves to the next one of its list. */
export const terminalServerDies: Drill = {
  needs: bothUp,
  run: async ({ site, terminal }) => {
    const from = terminal.sessionServer();
    const index = site.terminalServers.findIndex((ts) => ts.name === from);
    if (index < 0) throw new Error(`the terminal has no session on a terminal server of the site (${from})`);
    const server = site.terminalServers[index];
    await server.stop();
    try {
      const to = await waitFor(async () => terminal.sessionServer() !== from && terminal.sessionServer(), () => 'the session to move', 15_000).catch(() => null);
      const facts = to ? [`session moved to ${to}`] : ['session lost'];
      if (await sessionHolds(site, terminal)) facts.push('session holds');
      return { kind: facts.length === 2 ? 'keeps running' : 'waits', facts };
    } finally {
      // Back on the same port, as a terminal server restarted.
      site.terminalServers[index] = await startStandInTerminalServer(server.name, server.port);
    }
  },
};
