import { createHash } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import type { BootDocument } from '../../functions/domain/boot-document';
import { emulateBoot, type EmulatorTarget } from '../../infra/emulator/thin-client';

/** A relay as a terminal finds it: its name and where its proxyDHCP, PXE and TFTP listen. */
export interface RelayTarget {
  id: string;
  target: EmulatorTarget;
}

/** What one boot came to, read from what the terminal received. */
export type BootResult =
  | { booted: true; relay: string; source: 'live' | 'cache'; document: BootDocument }
  /** `no_offer`: no relay answered DHCP; else the refusal the relay's boot script carried. */
  | { booted: false; relay: string | null; code: string };

/**
 * One boot as the firmware does it: the first relay that answers DHCP (a stopped relay does
 * not), then its loader, boot script, verified firmware and configuration.
 */
export async function bootOnce(mac: string, relays: RelayTarget[]): Promise<BootResult> {
  for (const relay of relays) {
    let trace;
    try {
      trace = await emulateBoot(mac, relay.target);
    } catch (error) {
      if (/no DHCP answer/.test(String(error))) continue;
      throw error;
    }
    // The script names the configuration and where it came from: "# configuration <version> (live|cache)".
    const source = /^# configuration \S+ \((live|cache)\)$/m.exec(trace.script)?.[1] as 'live' | 'cache' | undefined;
    const config = trace.config as Partial<BootDocument> & { code?: string };
    if (!source) return { booted: false, relay: relay.id, code: config.code ?? 'no_boot_script' };
    const document = config as BootDocument;
    if (!trace.firmware || document.firmware?.sha256 !== createHash('sha256').update(trace.firmware).digest('hex'))
      return { booted: false, relay: relay.id, code: 'firmware_not_ready' };
    return { booted: true, relay: relay.id, source, document };
  }
  return { booted: false, relay: null, code: 'no_offer' };
}

/**
 * A running thin client: its configuration held in memory from the last boot, and a display
 * session on the first terminal server of its list that answers; when that server dies the
 * session moves to the next one in the list.
 */
export class EmulatedTerminal {
  document: BootDocument | null = null;
  private session: Session | null = null;

  constructor(
    readonly mac: string,
    private readonly relays: () => RelayTarget[],
  ) {}

  /** Power-cycles the terminal: the session ends, the configuration in memory is gone, it boots again. */
  async reboot(): Promise<BootResult> {
    this.shutdown();
    const result = await bootOnce(this.mac, this.relays());
    if (result.booted) {
      this.document = result.document;
      this.session = new Session(result.document.displayClients[0]?.terminalServers ?? []);
      await this.session.opened;
    }
    return result;
  }

  /** The terminal server its session runs on, or null. */
  sessionServer(): string | null {
    return this.session?.server ?? null;
  }

  /** Whether the session answers (an echo round trip), waiting a bounded time for a move to finish. */
  async sessionAnswers(): Promise<boolean> {
    return (await this.session?.answers()) ?? false;
  }

  shutdown(): void {
    this.session?.close();
    this.session = null;
    this.document = null;
  }
}

type TerminalServerEntry = BootDocument['displayClients'][number]['terminalServers'][number];

/** A display session standing in for RDP: a TCP connection that echoes, moved to the next server when its server dies. */
class Session {
  server: string | null = null;
  opened: Promise<void>;
  private socket: Socket | null = null;
  private closed = false;
  private moving: Promise<void>;

  constructor(private readonly servers: TerminalServerEntry[]) {
    this.opened = this.moving = this.connectFrom(0);
  }

  /** Tries each server once, from `start` on in list order, and stays on the first that accepts. */
  private async connectFrom(start: number): Promise<void> {
    for (let i = 0; i < this.servers.length && !this.closed; i++) {
      const entry = this.servers[(start + i) % this.servers.length];
      const socket = await tcpConnect(entry.host, entry.port);
      if (!socket) continue;
      if (this.closed) return void socket.destroy();
      this.socket = socket;
      this.server = entry.name;
      const index = this.servers.indexOf(entry);
      socket.once('close', () => {
        if (this.closed || this.socket !== socket) return;
        this.socket = null;
        this.server = null;
        this.moving = this.connectFrom(index + 1);
      });
      return;
    }
  }

  async answers(): Promise<boolean> {
    await this.moving;
    const socket = this.socket;
    if (!socket) return false;
    const probe = `ping-${Math.random().toString(36).slice(2)}\n`;
    return new Promise<boolean>((resolve) => {
      let got = '';
      const done = (ok: boolean) => {
        clearTimeout(timer);
        socket.off('data', onData);
        socket.off('close', onClose);
        resolve(ok);
      };
      const onData = (chunk: Buffer) => {
        got += chunk.toString();
        if (got.includes(probe)) done(true);
      };
      const onClose = () => done(false);
      const timer = setTimeout(() => done(false), 5000);
      socket.on('data', onData);
      socket.once('close', onClose);
      socket.write(probe);
    });
  }

  close(): void {
    this.closed = true;
    this.socket?.destroy();
    this.socket = null;
    this.server = null;
  }
}

function tcpConnect(host: string, port: number): Promise<Socket | null> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(null);
    }, 3000);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      socket.on('error', () => socket.destroy());
      resolve(socket);
    });
    socket.once('error', () => {
      clearTimeout(timer);
      resolve(null);
    });
  });
}
