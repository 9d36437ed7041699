import { writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { isIP } from 'node:net';
import { parseArgs } from 'node:util';
import { isLoopbackHost } from '../../functions/domain/transport';
import { type BootReport, reportLine, summarise, summaryLines } from './boot-report';
import { DhcpPort } from './dhcp-port';
import { Fleet } from './fleet';
import { sourceAddress, terminalMacs } from './fleet-plan';
import type { RelayEndpoint, TerminalEnvironment } from './terminal';

export const emulateUsage = `usage: npx tandem emulate [options]

Emulated thin clients boot as their firmware does: proxyDHCP (or the relay list), the boot loader
over TFTP (from the next relay after a timeout), the relay's iPXE script, the firmware it chains
(sha256 checked against the configuration), the configuration, then a TCP connection to the first
terminal server of each display client that accepts (two with instant failover). They hold their
configuration and sessions, move to the next terminal server when one goes away, and boot again
on command. Per-terminal phase timings and a summary on stdout, progress on stderr.

  --relays URL[,URL]      the relays' HTTP base URLs, in order (default, as npm start runs them:
                          http://127.0.0.1:8080,http://127.0.0.1:8081; none with --proxy-dhcp: broadcast)
  --tftp-port N[,N]       each relay's TFTP port (69; one value for all)
  --proxy-dhcp            find the relays by proxyDHCP, as PXE firmware does (default: the relay list)
  --dhcp-port N[,N]       each relay's proxyDHCP port (67)
  --pxe-port N[,N]        each relay's PXE boot-server port (4011)
  --client-port N         where DHCP answers come to (68; the relays' RELAY_DHCP_CLIENT_PORT)
  --broadcast ADDR        where DHCP requests go when no relay is listed (255.255.255.255)
  --mac MAC[,MAC]         the terminals, or with --count the first of consecutive MACs (02:00:00:00:00:01)
  --count N               how many terminals
  --arch efi|bios         the firmware (efi: option 93 = 7, snponly.efi; bios: 0, undionly.kpxe)
  --loader FILE           the boot loader without proxyDHCP (default by --arch)
  --source auto|system|ADDR  the terminals' addresses: auto gives each its own in 127.77.0.0/16 when
                          the relays are on loopback (per-source limits then see N terminals)
  --concurrency N         terminals booting at once (256)
  --timeout-ms N          how long a terminal waits for a relay before it tries the next (4000)
  --dhcp-timeout-ms N     how long it asks DHCP, again after 1 s, 2 s, 4 s… (16000)
  --attempts N            boots a terminal tries before it counts as failed (1)
  --max-script-sleep S    longest sleep of a boot script honoured, in seconds (30)
  --pause-after script    hold every terminal once it has its script, until "continue"
  --exit                  exit once every terminal has booted (status 0 if all did, 1 if not)
  --json FILE             write the reports and the summary as JSON after each boot round

Commands on stdin while it runs: reboot [MAC|all], status, continue, quit.`;

class UsageError extends Error {}

function ports(text: string | undefined, fallback: number, count: number, name: string): number[] {
  const values = (text ?? String(fallback)).split(',').map((v) => Number(v.trim()));
  if (values.some((v) => !Number.isInteger(v) || v < 1 || v > 65535)) throw new UsageError(`--${name}: ${text} is not a port or a list of ports`);
  if (values.length !== 1 && values.length !== count) throw new UsageError(`--${name}: give one port, or one per relay (${count})`);
  return Array.from({ length: count }, (_, i) => values[values.length === 1 ? 0 : i]);
}

function positive(text: string | undefined, fallback: number, name: string): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new UsageError(`--${name} must be a whole number from 1, got ${JSON.stringify(text)}`);
  return value;
}

function parse(args: string[]) {
  const { values } = parseArgs({
    args,
    options: {
      relays: { type: 'string' },
      'tftp-port': { type: 'string' },
      'proxy-dhcp': { type: 'boolean', default: false },
      'dhcp-port': { type: 'string' },
      'pxe-port': { type: 'string' },
      'client-port': { type: 'string' },
      broadcast: { type: 'string' },
      mac: { type: 'string' },
      count: { type: 'string' },
      arch: { type: 'string', default: 'efi' },
      loader: { type: 'string' },
      source: { type: 'string', default: 'auto' },
      concurrency: { type: 'string' },
      'timeout-ms': { type: 'string' },
      'dhcp-timeout-ms': { type: 'string' },
      attempts: { type: 'string' },
      'max-script-sleep': { type: 'string' },
      'pause-after': { type: 'string' },
      exit: { type: 'boolean', default: false },
      json: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.arch !== 'efi' && values.arch !== 'bios') throw new UsageError('--arch is efi or bios');
  if (values['pause-after'] !== undefined && values['pause-after'] !== 'script') throw new UsageError('--pause-after takes "script"');
  if (values.source !== 'auto' && values.source !== 'system' && isIP(values.source) !== 4) throw new UsageError('--source is auto, system or an IPv4 address of this machine');
  const maxScriptSleepS = Number(values['max-script-sleep'] ?? 30);
  if (!(maxScriptSleepS >= 0)) throw new UsageError('--max-script-sleep is a number of seconds from 0');
  const urls = (values.relays ?? (values['proxy-dhcp'] ? '' : 'http://127.0.0.1:8080,http://127.0.0.1:8081'))
    .split(',')
    .map((u) => u.trim().replace(/\/+$/, ''))
    .filter(Boolean);
  const tftp = ports(values['tftp-port'], 69, urls.length, 'tftp-port');
  const dhcp = ports(values['dhcp-port'], 67, urls.length, 'dhcp-port');
  const pxe = ports(values['pxe-port'], 4011, urls.length, 'pxe-port');
  const relays: RelayEndpoint[] = urls.map((url, i) => {
    let host: string;
    try {
      const parsed = new URL(url);
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error();
      host = parsed.hostname.replace(/^\[|\]$/g, '');
    } catch {
      throw new UsageError(`--relays: ${JSON.stringify(url)} is not an http(s) URL`);
    }
    return { url, host, tftpPort: tftp[i], dhcpPort: dhcp[i], pxePort: pxe[i] };
  });
  const count = values.count === undefined ? null : positive(values.count, 1, 'count');
  let macs: string[];
  try {
    macs = terminalMacs(values.mac ? values.mac.split(',') : [], count);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  return {
    help: values.help,
    relays,
    proxyDhcp: values['proxy-dhcp'],
    clientPort: ports(values['client-port'], 68, 1, 'client-port')[0],
    broadcast: values.broadcast ?? null,
    macs,
    arch: values.arch as 'efi' | 'bios',
    loader: values.loader ?? (values.arch === 'bios' ? 'undionly.kpxe' : 'snponly.efi'),
    source: values.source,
    concurrency: positive(values.concurrency, 256, 'concurrency'),
    timeoutMs: positive(values['timeout-ms'], 4000, 'timeout-ms'),
    dhcpTimeoutMs: positive(values['dhcp-timeout-ms'], 16000, 'dhcp-timeout-ms'),
    attempts: positive(values.attempts, 1, 'attempts'),
    maxScriptSleepS,
    pauseAfterScript: values['pause-after'] === 'script',
    exit: values.exit,
    json: values.json ?? null,
  };
}

/** Progress on stderr: rewritten in place on a terminal, a line every two seconds otherwise. */
function progressReporter(fleet: Fleet, started: number): { stop(): void } {
  const tty = process.stderr.isTTY;
  const line = () => {
    const p = fleet.progress();
    return `progress: ${p.booted + p.failed}/${p.terminals} done (${p.booted} booted, ${p.failed} failed), ${p.booting} booting, ${p.waiting} waiting, ${((performance.now() - started) / 1000).toFixed(1)} s`;
  };
  const timer = setInterval(() => process.stderr.write(tty ? `\r\x1b[2K${line()}` : `${line()}\n`), tty ? 250 : 2000);
  return {
    stop() {
      clearInterval(timer);
      process.stderr.write(tty ? '\r\x1b[2K' : `${line()}\n`);
    },
  };
}

/** `npx tandem emulate …`; resolves with the exit status. */
export async function runEmulate(args: string[]): Promise<number> {
  let options: ReturnType<typeof parse>;
  try {
    options = parse(args);
  } catch (error) {
    console.error(`tandem emulate: ${(error as Error).message}\n\n${emulateUsage}`);
    return 2;
  }
  if (options.help) {
    console.log(emulateUsage);
    return 0;
  }
  const onLoopback = options.relays.length > 0 && options.relays.every((r) => isLoopbackHost(r.host));
  let addresses: Array<string | null>;
  try {
    addresses = options.macs.map((_, i) => sourceAddress(i, options.source, onLoopback));
  } catch (error) {
    console.error(`tandem emulate: ${(error as Error).message}; use --source system`);
    return 2;
  }

  let dhcp: DhcpPort | null = null;
  if (options.proxyDhcp) {
    try {
      dhcp = await DhcpPort.open(options.clientPort);
    } catch (error) {
      console.error(`tandem emulate: cannot listen for DHCP answers on port ${options.clientPort}: ${(error as Error).message}`);
      return 2;
    }
  }

  let gateOpen = !options.pauseAfterScript;
  let openGate: () => void = () => {};
  const gateOpened = new Promise<void>((resolve) => (openGate = resolve));
  let atGate = 0;
  const env: TerminalEnvironment = {
    relays: options.relays,
    dhcp,
    broadcast: options.broadcast,
    arch: options.arch,
    loaderFile: options.loader,
    timeoutMs: options.timeoutMs,
    dhcpTimeoutMs: options.dhcpTimeoutMs,
    attempts: options.attempts,
    maxScriptSleepS: options.maxScriptSleepS,
    keepImages: false,
    openSessions: true,
    gate: async () => {
      if (gateOpen) return;
      atGate++;
      const p = fleet.progress();
      if (atGate === p.booting) console.log(`paused after the script: ${atGate} terminal(s) wait; type "continue"`);
      await gateOpened;
    },
    onEvent: (mac, text) => console.log(`${mac}  ${text}`),
  };
  const fleet = new Fleet(options.macs, addresses, env, { concurrency: options.concurrency, onReport: (report) => console.log(reportLine(report)) });

  const where = options.proxyDhcp ? `proxyDHCP${options.relays.length ? ` via ${options.relays.map((r) => `${r.host}:${r.dhcpPort}`).join(', ')}` : ` broadcast to ${options.broadcast ?? '255.255.255.255'}`}` : `relays ${options.relays.map((r) => `${r.url} (tftp ${r.tftpPort})`).join(', ')}`;
  console.log(`tandem emulate: ${options.macs.length} ${options.arch} terminal(s), ${where}, ${Math.min(options.concurrency, options.macs.length)} at once`);

  let lastReports: BootReport[] = [];
  const round = async (terminals = fleet.terminals) => {
    const started = performance.now();
    const progress = progressReporter(fleet, started);
    try {
      lastReports = await fleet.boot(terminals);
    } finally {
      progress.stop();
    }
    const summary = summarise(lastReports, performance.now() - started);
    for (const line of summaryLines(summary)) console.log(line);
    if (dhcp) console.log(`dhcp: ${dhcp.counts.sent} requests sent (repeats included), ${dhcp.counts.answered} answered; answers after the terminal gave up ${dhcp.counts.late}, other answers (a second relay's, to a repeat) ${dhcp.counts.second}`);
    if (options.json) writeFileSync(options.json, JSON.stringify({ summary, dhcp: dhcp?.counts ?? null, reports: lastReports }, null, 2));
    return summary;
  };

  let finish: (status: number) => void = () => {};
  const finished = new Promise<number>((resolve) => (finish = resolve));
  const stop = async (status: number) => {
    openGate();
    fleet.powerOff();
    await dhcp?.close();
    finish(status);
  };
  const onSignal = () => void stop(lastReports.every((r) => r.ok) ? 0 : 1);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  // Commands come in while the terminals boot (continue) and after (reboot, status, quit).
  const commands = process.stdin.isTTY || !options.exit || options.pauseAfterScript ? createInterface({ input: process.stdin }) : null;
  commands?.on('line', (line) => {
    const [command, argument] = line.trim().split(/\s+/);
    switch (command) {
      case undefined:
      case '':
        return;
      case 'continue':
        gateOpen = true;
        openGate();
        return;
      case 'status':
        for (const t of fleet.terminals) console.log(`${t.mac}  ${t.state}${t.config ? `  config ${t.config.configVersion}` : ''}  ${t.describeSessions().join('; ')}`);
        return;
      case 'reboot': {
        const targets = !argument || argument === 'all' ? fleet.terminals : fleet.terminals.filter((t) => t.mac === argument.toLowerCase());
        if (!targets.length) return void console.log(`no terminal ${argument}`);
        console.log(`rebooting ${targets.length} terminal(s)`);
        void round(targets);
        return;
      }
      case 'quit':
      case 'exit':
        void stop(lastReports.every((r) => r.ok) ? 0 : 1);
        return;
      default:
        console.log('commands: reboot [MAC|all], status, continue, quit');
    }
  });

  const first = await round();
  if (options.exit) {
    await stop(first.failed === 0 ? 0 : 1);
  } else {
    console.log(`holding ${fleet.terminals.filter((t) => t.state === 'running').length} terminal(s) and their sessions; commands: reboot [MAC|all], status, quit (Ctrl-C ends)`);
  }
  const status = await finished;
  commands?.close();
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  return status;
}
