import { isIP } from 'node:net';
import { type BootDocument, bootDocumentSchema } from '../../functions/domain/boot-document';
import { DhcpMessage } from '../../relay/dhcp/codec';
import { fetchBootLoader } from './boot-loader';
import { type BootReport, emptyPhases, type Phase } from './boot-report';
import { type DhcpAnswer, type DhcpPort, pxeRequest } from './dhcp-port';
import { DisplaySession, type SessionEvent } from './display-session';
import { httpGet } from './http-get';
import { type Image, isIpxeScript, type IpxeHost, runIpxeScript, type ScriptOutcome } from './ipxe-interpreter';
import { firmwareArgs } from './kernel-args';

/** One relay as a terminal reaches it (on a plant network the ports are 69, 67 and 4011). */
export interface RelayEndpoint {
  /** HTTP base URL, e.g. http://10.20.0.5:8080 (empty for a relay known only from its DHCP answer). */
  url: string;
  host: string;
  tftpPort: number;
  dhcpPort: number;
  pxePort: number;
}

/** What every terminal of a fleet shares. */
export interface TerminalEnvironment {
  relays: RelayEndpoint[];
  /** The fleet's DHCP port when terminals find relays by proxyDHCP; null: they boot from the relay list. */
  dhcp: DhcpPort | null;
  /** Where DHCP requests go when no relay is listed (a broadcast address, port 67). */
  broadcast: string | null;
  arch: 'efi' | 'bios';
  /** The boot loader fetched over TFTP when no proxyDHCP answer names one. */
  loaderFile: string;
  /** How long a terminal waits for a relay before it tries the other (TFTP, HTTP). */
  timeoutMs: number;
  /** How long it asks DHCP before it gives up, sending again after 1 s, 2 s, 4 s… as firmware does (default timeoutMs). */
  dhcpTimeoutMs?: number;
  /** Boots a terminal tries (a script may say "retrying"), the last one counting. */
  attempts: number;
  /** Longest `sleep` of a boot script honoured, in seconds (a refusal sleeps 30 s before it reboots). */
  maxScriptSleepS: number;
  /** Loader, script and firmware kept in the trace (tests); a fleet keeps hashes only. */
  keepImages: boolean;
  /** Whether a booted terminal opens its display sessions (a boot-only test may not). */
  openSessions: boolean;
  /** Resolves when terminals may go on past a point an operator stops them at (--pause-after). */
  gate(point: 'script'): Promise<void>;
  /** A line for the operator about this terminal while it runs (a session moved, say). */
  onEvent(mac: string, text: string): void;
}

/** What a boot fetched, for tests that compare bytes. */
export interface BootTrace {
  offer: { file: string; siaddr: string } | null;
  loaderFile: string;
  loader: Buffer | null;
  scriptUrl: string;
  script: string;
  firmware: { url: string; sha256: string; size: number; body: Buffer | null; args: string[] } | null;
  config: BootDocument | null;
}

class BootFailure extends Error {
  constructor(
    readonly phase: Phase,
    message: string,
  ) {
    super(message);
  }
}

const arches = { efi: 7, bios: 0 } as const;

/**
 * One emulated thin client: it boots as the firmware does, holds its configuration in memory and
 * its display sessions open, and boots again on command.
 */
export class EmulatedTerminal {
  config: BootDocument | null = null;
  state: 'off' | 'booting' | 'running' | 'failed' = 'off';
  trace: BootTrace | null = null;
  private sessions: DisplaySession[] = [];

  constructor(
    readonly mac: string,
    /** The terminal's own address (null: the system picks). */
    readonly address: string | null,
    private readonly env: TerminalEnvironment,
  ) {}

  describeSessions(): string[] {
    return this.sessions.map((s) => s.describe());
  }

  /** Drops the configuration and sessions, as a power cycle does. */
  powerOff(): void {
    for (const session of this.sessions) session.close();
    this.sessions = [];
    this.config = null;
    this.state = 'off';
  }

  async boot(): Promise<BootReport> {
    this.powerOff();
    this.state = 'booting';
    const started = performance.now();
    const clock = { pausedMs: 0 };
    const report: BootReport = { mac: this.mac, ok: false, error: null, failedPhase: null, attempts: 0, phases: emptyPhases(), totalMs: 0, servedBy: {}, firmware: null, sessions: [], messages: [] };
    for (let attempt = 1; attempt <= this.env.attempts; attempt++) {
      report.attempts = attempt;
      report.phases = emptyPhases();
      report.servedBy = {};
      report.messages = [];
      try {
        await this.attempt(report, clock);
        report.ok = true;
        report.error = report.failedPhase = null;
        break;
      } catch (error) {
        this.powerOff();
        this.state = 'booting';
        report.failedPhase = error instanceof BootFailure ? error.phase : null;
        report.error = (error as Error).message;
      }
    }
    report.totalMs = performance.now() - started - clock.pausedMs;
    this.state = report.ok ? 'running' : 'failed';
    report.sessions = this.describeSessions();
    return report;
  }

  /** One boot from power-on; the time it stands at an operator's pause is added to clock. */
  private async attempt(report: BootReport, clock: { pausedMs: number }): Promise<void> {
    const env = this.env;
    const dhcpTimeoutMs = env.dhcpTimeoutMs ?? env.timeoutMs;
    const ciaddr = this.address ?? undefined;
    const timed = async <T>(phase: Phase, step: () => Promise<T>): Promise<T> => {
      const t = performance.now();
      try {
        return await step();
      } catch (error) {
        throw error instanceof BootFailure ? error : new BootFailure(phase, (error as Error).message);
      } finally {
        report.phases[phase] = performance.now() - t;
      }
    };
    const trace: BootTrace = { offer: null, loaderFile: env.loaderFile, loader: null, scriptUrl: '', script: '', firmware: null, config: null };
    this.trace = trace;

    // 1. proxyDHCP: the first relay to offer, then its boot server (port 4011) for the file name.
    let order = env.relays;
    if (env.dhcp) {
      const dhcp = env.dhcp;
      const servers = this.dhcpServers('dhcpPort');
      order = await timed('dhcp', async () => {
        const offer = await dhcp.exchange(pxeRequest(this.mac, DhcpMessage.DISCOVER, arches[env.arch], { ciaddr }), servers, dhcpTimeoutMs);
        if (!offer) throw new Error(`no proxyDHCP offer within ${dhcpTimeoutMs} ms`);
        trace.offer = { file: offer.packet.file, siaddr: offer.packet.siaddr };
        const first = this.relayOf(offer);
        const candidates = [first, ...env.relays.filter((r) => r !== first)];
        for (const [i, relay] of candidates.entries()) {
          const ack = await dhcp.exchange(pxeRequest(this.mac, DhcpMessage.REQUEST, arches[env.arch], { ciaddr }), [{ address: relay.host, port: relay.pxePort }], dhcpTimeoutMs);
          if (!ack) continue;
          trace.loaderFile = ack.packet.file;
          report.servedBy.dhcp = relay.url || relay.host;
          return [...candidates.slice(i), ...candidates.slice(0, i)];
        }
        throw new Error(`no boot server answered on port 4011 within ${dhcpTimeoutMs} ms`);
      });
    }

    // 2. The boot loader over TFTP, from the relay that answered, else from the next after a timeout.
    await timed('loader', async () => {
      const errors: string[] = [];
      for (const [i, relay] of order.entries()) {
        try {
          const loader = await fetchBootLoader(relay, trace.loaderFile, { localAddress: this.address, timeoutMs: env.timeoutMs });
          if (env.keepImages) trace.loader = loader;
          report.servedBy.loader = `tftp://${relay.host}:${relay.tftpPort}`;
          order = [...order.slice(i), ...order.slice(0, i)];
          return;
        } catch (error) {
          errors.push(`${relay.host}:${relay.tftpPort}: ${(error as Error).message}`);
        }
      }
      throw new Error(`no relay served ${trace.loaderFile} (${errors.join('; ')})`);
    });

    // 3. iPXE asks DHCP again (user class iPXE) for its script, or takes the relays' script URLs.
    const script = await timed('script', async () => {
      let urls = order.map((relay) => `${relay.url}/boot.ipxe?mac=${this.mac}`);
      if (env.dhcp) {
        const answer = await env.dhcp.exchange(pxeRequest(this.mac, DhcpMessage.DISCOVER, arches[env.arch], { userClass: 'iPXE', ciaddr }), this.dhcpServers('dhcpPort'), dhcpTimeoutMs);
        if (!answer) throw new Error(`iPXE got no proxyDHCP answer within ${dhcpTimeoutMs} ms`);
        urls = [answer.packet.file];
      }
      const errors: string[] = [];
      for (const url of urls) {
        try {
          const res = await httpGet(url, { localAddress: this.address, timeoutMs: env.timeoutMs, keep: () => true });
          const text = res.body!.toString('utf8');
          if (res.status !== 200) errors.push(`HTTP ${res.status} from ${url}`);
          else if (!isIpxeScript(text)) errors.push(`${url} is not an iPXE script`);
          else {
            trace.scriptUrl = url;
            trace.script = text;
            report.servedBy.script = url;
            return text;
          }
        } catch (error) {
          errors.push((error as Error).message);
        }
      }
      throw new Error(errors.join('; '));
    });
    const pauseStarted = performance.now();
    await env.gate('script');
    clock.pausedMs += performance.now() - pauseStarted;

    // 4. The script, run as iPXE runs it: it chains the firmware (from the next relay if one fails).
    const outcome = await timed('firmware', async () => {
      const outcome = await runIpxeScript(script, this.ipxeHost(report, trace), this.ipxeSettings());
      if (outcome.kind !== 'booted') throw new Error(`the script ${describeOutcome(outcome)}${report.messages.length ? ` (it said: ${report.messages.join(' / ')})` : ''}`);
      return outcome;
    });

    // 5. The firmware reads its configuration from the relays its command line names.
    const document = await timed('config', async () => {
      const { configUrls, mac } = firmwareArgs(outcome.args);
      if (!configUrls.length) throw new Error('the firmware command line names no configuration (tandem.config=…)');
      if (mac && mac !== this.mac) throw new Error(`the firmware was booted for ${mac}`);
      const errors: string[] = [];
      for (const url of configUrls) {
        try {
          const res = await httpGet(url, { localAddress: this.address, timeoutMs: env.timeoutMs, keep: () => true });
          if (res.status !== 200) {
            errors.push(`HTTP ${res.status} from ${url}`);
            continue;
          }
          const parsed = bootDocumentSchema.safeParse(JSON.parse(res.body!.toString('utf8')));
          if (!parsed.success) throw new Error(`${url} is not a boot document: ${parsed.error.issues[0]?.message}`);
          report.servedBy.config = url;
          return parsed.data;
        } catch (error) {
          errors.push((error as Error).message);
        }
      }
      throw new Error(errors.join('; '));
    });
    const booted = trace.firmware!;
    if (document.mac !== this.mac) throw new BootFailure('config', `the configuration is for ${document.mac}`);
    if (!document.firmware) throw new BootFailure('config', 'the configuration names no firmware, yet the script booted one');
    if (document.firmware.sha256 !== booted.sha256 || document.firmware.size !== booted.size) {
      throw new BootFailure('firmware', `the firmware booted (sha256 ${booted.sha256}, ${booted.size} bytes) is not the one configured (sha256 ${document.firmware.sha256}, ${document.firmware.size} bytes)`);
    }
    report.firmware = `${document.firmware.name} ${document.firmware.version}`;
    this.config = trace.config = document;

    // 6. A session per display client, on the first terminal server that accepts.
    if (!env.openSessions) return;
    await timed('session', async () => {
      this.sessions = document.displayClients.map(
        (client) => new DisplaySession(client, { localAddress: this.address, connectTimeoutMs: env.timeoutMs, retryMs: 1000, onEvent: (event) => env.onEvent(this.mac, describeSessionEvent(event)) }),
      );
      const opened = await Promise.all(this.sessions.map((s) => s.open()));
      const missing = this.sessions.filter((s, i) => !opened[i] && document.displayClients[i].terminalServers.length > 0);
      if (missing.length) throw new Error(`no terminal server of ${missing.map((s) => s.name).join(', ')} accepts a session`);
    });
  }

  private dhcpServers(port: 'dhcpPort' | 'pxePort'): Array<{ address: string; port: number }> {
    if (this.env.relays.length) return this.env.relays.map((r) => ({ address: r.host, port: r[port] }));
    return [{ address: this.env.broadcast ?? '255.255.255.255', port: port === 'dhcpPort' ? 67 : 4011 }];
  }

  /** The listed relay an answer came from (its address and port), or one known only by its answer. */
  private relayOf(answer: DhcpAnswer): RelayEndpoint {
    const { from, packet } = answer;
    const listed =
      this.env.relays.find((r) => r.dhcpPort === from.port && (r.host === from.address || !isIP(r.host))) ?? this.env.relays.find((r) => r.host === packet.siaddr);
    return listed ?? { url: '', host: packet.siaddr, tftpPort: 69, dhcpPort: 67, pxePort: 4011 };
  }

  private ipxeSettings(): Map<string, string> {
    return new Map([
      ['mac', this.mac],
      ['net0/mac', this.mac],
      ['ip', this.address ?? ''],
      ['net0/ip', this.address ?? ''],
      ['platform', this.env.arch === 'efi' ? 'efi' : 'pcbios'],
      ['buildarch', 'x86_64'],
      ['user-class', 'iPXE'],
    ]);
  }

  private ipxeHost(report: BootReport, trace: BootTrace): IpxeHost {
    const env = this.env;
    return {
      fetch: async (url) => {
        try {
          // A script is read whole; anything else is hashed as it arrives and not kept (unless tests ask).
          const res = await httpGet(url, { localAddress: this.address, timeoutMs: env.timeoutMs, keep: (head, length) => (length ?? 0) < 1 << 20 && isIpxeScript(head.toString('latin1', 0, 8)) || env.keepImages });
          if (res.status !== 200) return { ok: false, error: `HTTP ${res.status} from ${url}` };
          const text = res.body && res.body.length < 1 << 20 ? res.body.toString('utf8') : '';
          if (isIpxeScript(text)) return { ok: true, image: { kind: 'script', url, text } };
          return { ok: true, image: { kind: 'binary', url, handle: res } };
        } catch (error) {
          return { ok: false, error: (error as Error).message };
        }
      },
      boot: async (image: Image & { kind: 'binary' }, args) => {
        const res = image.handle as Awaited<ReturnType<typeof httpGet>>;
        trace.firmware = { url: image.url, sha256: res.sha256, size: res.size, body: env.keepImages ? res.body : null, args };
        report.servedBy.firmware = image.url;
        return { ok: true };
      },
      sleep: (seconds) => new Promise((resolve) => setTimeout(resolve, Math.min(seconds, env.maxScriptSleepS) * 1000)),
      echo: (text) => {
        if (report.messages.length < 8) report.messages.push(text);
      },
    };
  }
}

function describeOutcome(outcome: ScriptOutcome): string {
  switch (outcome.kind) {
    case 'reboot':
      return 'rebooted the terminal';
    case 'poweroff':
      return 'powered the terminal off';
    case 'ended':
      return `ended (status ${outcome.status}) without booting anything`;
    case 'failed':
      return `failed at "${outcome.line}"`;
    case 'booted':
      return 'booted';
  }
}

function describeSessionEvent(event: SessionEvent): string {
  switch (event.kind) {
    case 'lost':
      return event.next
        ? `session ${event.client}: ${event.server} went away; now on ${event.next} (${event.switchMs! < 10 ? event.switchMs!.toFixed(1) : Math.round(event.switchMs!)} ms)`
        : `session ${event.client}: ${event.server} went away; no other terminal server accepts, retrying`;
    case 'unreachable':
      return `session ${event.client}: no terminal server accepts, retrying`;
    case 'restored':
      return `session ${event.client}: back on ${event.server}`;
  }
}
