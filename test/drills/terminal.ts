import type { BootDocument } from '../../functions/domain/boot-document';
import type { BootReport } from '../../infra/emulator/boot-report';
import type { DhcpPort } from '../../infra/emulator/dhcp-port';
import { EmulatedTerminal, type RelayEndpoint } from '../../infra/emulator/terminal';

/** A relay as a terminal finds it: its name and where its HTTP, proxyDHCP, PXE and TFTP listen. */
export interface RelayTarget {
  id: string;
  endpoint: RelayEndpoint;
}

/** What one boot came to, read from what the terminal received. */
export type BootResult =
  | { booted: true; relay: string; source: 'live' | 'cache'; document: BootDocument }
  /** `no_offer`: no relay offered to boot it; else the refusal the relay's boot script carried (x-tandem-error). */
  | { booted: false; relay: string | null; code: string };

/**
 * A thin client of the drills: the emulator's terminal (infra/emulator), which finds a relay by
 * proxyDHCP (asking every relay of the site at once, as a broadcast reaches both), boots its
 * firmware, holds its configuration in memory and its display session on the first terminal
 * server that accepts, moving to the next when that one dies.
 */
export class DrillTerminal {
  private readonly emulated: EmulatedTerminal;

  constructor(
    readonly mac: string,
    dhcp: DhcpPort,
    private readonly relays: RelayTarget[],
    options: { openSessions: boolean } = { openSessions: true },
  ) {
    this.emulated = new EmulatedTerminal(mac, '127.0.0.1', {
      relays: relays.map((r) => r.endpoint),
      dhcp,
      broadcast: null,
      arch: 'efi',
      loaderFile: 'snponly.efi',
      timeoutMs: 5000,
      attempts: 1,
      // A refusal script sleeps before it reboots: one boot is one attempt here.
      maxScriptSleepS: 0,
      keepImages: false,
      openSessions: options.openSessions,
      gate: async () => {},
      onEvent: () => {},
    });
  }

  /** The configuration it holds in memory (null when off or not booted). */
  get document(): BootDocument | null {
    return this.emulated.config;
  }

  /** Power-cycles the terminal: the session ends, the configuration in memory is gone, it boots again. */
  async reboot(): Promise<BootResult> {
    return this.resultOf(await this.emulated.boot());
  }

  /** The terminal server its session runs on, or null. */
  sessionServer(): string | null {
    return /^\S+ on (\S+) /.exec(this.emulated.describeSessions()[0] ?? '')?.[1] ?? null;
  }

  shutdown(): void {
    this.emulated.powerOff();
  }

  private async resultOf(report: BootReport): Promise<BootResult> {
    const scriptUrl = report.servedBy.script ?? null;
    const relay = scriptUrl ? (this.relays.find((r) => new URL(scriptUrl).origin === new URL(r.endpoint.url).origin)?.id ?? scriptUrl) : null;
    const trace = this.emulated.trace;
    if (report.ok && trace?.config && relay) {
      // The script names where the configuration came from: "# configuration <version> (live|cache)".
      const source = /^# configuration \S+ \((live|cache)\)$/m.exec(trace.script)?.[1] as 'live' | 'cache' | undefined;
      if (source) return { booted: true, relay, source, document: trace.config };
    }
    if (report.failedPhase === 'dhcp') return { booted: false, relay: null, code: 'no_offer' };
    // The terminal ran a script that explains and reboots: the relay names the refusal beside it.
    if (report.failedPhase === 'firmware' && scriptUrl) {
      const code = (await fetch(scriptUrl).then((res) => res.headers.get('x-tandem-error')).catch(() => null)) ?? null;
      if (code) return { booted: false, relay, code };
    }
    return { booted: false, relay, code: `${report.failedPhase ?? 'boot'}: ${report.error}` };
  }
}

/** One boot of a terminal that runs no session (the licence drill, a relay asked on its own). */
export async function bootOnce(mac: string, dhcp: DhcpPort, relays: RelayTarget[]): Promise<BootResult> {
  const terminal = new DrillTerminal(mac, dhcp, relays, { openSessions: false });
  try {
    return await terminal.reboot();
  } finally {
    terminal.shutdown();
  }
}
