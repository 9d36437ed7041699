import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { BlockList } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { Logger } from '../observe/log';
import type { Counter, Metrics } from '../observe/metrics';
import { addressSet, type Cidr } from '../settings';
import { advertisedAddress, linkHolding } from './advertised-address';
import { architecture, type BootFiles } from './architectures';
import { decodeDhcp, encodeDhcp, MAX_DHCP_DATAGRAM_BYTES } from './codec';
import { deviceSocket, deviceSocketsAvailable } from './device-socket';
import { type Link, linkNetworks, linksOf } from './links';
import { decidePxe, pxeReply } from './pxe-offer';
import { replyDestination } from './reply-address';

export interface ProxyDhcpOptions {
  /** The address the sockets bind: 0.0.0.0 (broadcasts arrive only there), or one address of this host. */
  host: string;
  /** 67: DISCOVERs, broadcast. */
  dhcpPort: number;
  /** 4011: PXE boot server REQUESTs, unicast. */
  pxePort: number;
  /** 68: where clients listen. */
  clientPort: number;
  /** The address every answer names; null: the relay's address on the link the request came in on. */
  advertiseAddress: string | null;
  /** Where unicast answers may go; null: the networks of the link the request came in on. */
  networks: Cidr[] | null;
  bootFiles: BootFiles;
  httpPort: number;
  relayId: string;
  /** Whether this relay can serve the terminal; false: stay silent and let the other relay answer. */
  mayOffer?: (mac: string) => boolean;
  /** Whether the boot tree holds a file; a loader that is not there is not offered (the other relay may have it). */
  hasBootFile?: (file: string) => boolean;
  /** How often the interfaces are looked at again (links that come up, get an address, go away). */
  rescanMs?: number;
}

export interface ProxyDhcpStatus {
  dhcpPort: number;
  pxePort: number;
  /** The links answered on, with their addresses (device, or * when the receiving link cannot be known). */
  interfaces: string[];
}

type Role = 'dhcp' | 'pxe';
/** The device name of the one socket pair bound without a device, where SO_BINDTODEVICE is not available. */
const ANY_LINK = '*';
/** How long a look at the interfaces serves answers: a datagram's link is looked up at most this stale. */
const LINKS_FRESH_MS = 500;

/**
 * proxyDHCP (RELAY_PROXYDHCP=on): answers PXE clients beside the site's DHCP server, which keeps
 * handing out the addresses. Both relays of a site answer; a client takes the first offer.
 *
 * Each link with an IPv4 address gets its own pair of sockets (relay/dhcp/device-socket.ts says
 * why), opened when the link gets its address and closed when it loses it, so a relay started
 * before its link is up answers once it is, and a relay on two networks answers each with its own
 * address there.
 */
export class ProxyDhcpServer {
  private readonly listeners = new Map<string, { sockets: Record<Role, Socket>; addresses: string }>();
  private readonly ports: Record<Role, number>;
  /** Where unicast answers may go when RELAY_DHCP_NETWORKS says; else per link. */
  private readonly served: BlockList | null;
  private readonly answered: Counter;
  private readonly ignored: Counter;
  /** Architectures already reported as having no boot file (said once each). */
  private readonly reportedArchs = new Set<number>();
  /** Devices whose socket could not be opened, with the error last said (said again only when it changes). */
  private readonly failedDevices = new Map<string, string>();
  private links: { at: number; byDevice: Map<string, Link> } = { at: -Infinity, byDevice: new Map() };
  private rescanTimer: NodeJS.Timeout | null = null;
  private scanning: Promise<void> | null = null;
  private closed = false;

  constructor(
    private readonly options: ProxyDhcpOptions,
    private readonly log: Logger,
    metrics: Metrics,
  ) {
    this.answered = metrics.counter('relay_dhcp_replies_total', 'proxyDHCP answers sent, by port and client kind.');
    this.ignored = metrics.counter(
      'relay_dhcp_ignored_total',
      'DHCP datagrams not answered, by reason (oversized, malformed, not_pxe, no_architecture, no_boot_file, boot_file_missing, cannot_serve, no_address, loopback_only, off_network).',
    );
    this.served = options.networks ? addressSet(options.networks) : null;
    this.ports = { dhcp: options.dhcpPort, pxe: options.pxePort };
  }

  /** Opens the sockets of every link there is now; fails as a bind does (port taken, no permission). */
  async listen(): Promise<ProxyDhcpStatus> {
    await this.rescan(true);
    this.rescanTimer = setInterval(() => void this.rescan(false), this.options.rescanMs ?? 1000);
    this.rescanTimer.unref();
    return this.status();
  }

  status(): ProxyDhcpStatus {
    return {
      dhcpPort: this.ports.dhcp,
      pxePort: this.ports.pxe,
      interfaces: [...this.listeners].map(([device, l]) => (l.addresses ? `${device} ${l.addresses}` : device)),
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.rescanTimer) clearInterval(this.rescanTimer);
    await this.scanning;
    await Promise.all([...this.listeners.keys()].map((device) => this.closeLink(device)));
  }

  private currentLinks(): Map<string, Link> {
    const now = Date.now();
    if (now - this.links.at > LINKS_FRESH_MS) this.links = { at: now, byDevice: linksOf(networkInterfaces()) };
    return this.links.byDevice;
  }

  /** The links to answer on: every one with an IPv4 address, or the one holding the address bound. */
  private wantedLinks(): Map<string, Link> {
    const { host } = this.options;
    const links = new Map<string, Link>();
    for (const [device, link] of this.currentLinks()) {
      if (host === '0.0.0.0' || link.addresses.some((a) => a.address === host)) links.set(device, link);
    }
    return links;
  }

  private rescan(starting: boolean): Promise<void> {
    this.scanning ??= this.openAndClose(starting).finally(() => (this.scanning = null));
    return this.scanning;
  }

  /**
   * Opens the links that have an address and closes those that lost theirs. At start, a link that
   * cannot be opened is said and tried again later, unless none can: then listen() fails as a bind
   * does (a port taken, no permission for port 67), and the relay does not start half-deaf.
   */
  private async openAndClose(starting: boolean): Promise<void> {
    if (!deviceSocketsAvailable()) {
      // One pair on the host address: the answer's link is then guessed from the addresses in the request.
      if (!this.listeners.has(ANY_LINK)) {
        const error = await this.openLink(ANY_LINK, '');
        if (error && starting) throw error;
      }
      return;
    }
    this.links.at = -Infinity;
    const wanted = this.wantedLinks();
    for (const device of this.listeners.keys()) if (!wanted.has(device)) await this.closeLink(device);
    let failed: unknown = null;
    for (const [device, link] of wanted) {
      if (this.closed) return;
      const addresses = link.addresses.map((a) => `${a.address}/${a.prefix}`).join(' ');
      const open = this.listeners.get(device);
      if (open) {
        if (open.addresses !== addresses) this.log.info('dhcp_link_addresses', { device, addresses });
        open.addresses = addresses;
      } else {
        const error = await this.openLink(device, addresses);
        if (error) failed ??= error;
        else if (!starting) this.log.info('dhcp_link_up', { device, addresses });
      }
    }
    if (starting && failed && this.listeners.size === 0) throw failed;
  }

  /** Answers the error when the link's sockets cannot be opened (said once until it changes); it is tried again on the next scan. */
  private async openLink(device: string, addresses: string): Promise<unknown> {
    const opened: Socket[] = [];
    try {
      const sockets = {} as Record<Role, Socket>;
      for (const role of ['dhcp', 'pxe'] as const) {
        const socket = device === ANY_LINK ? await this.plainSocket(this.ports[role]) : await deviceSocket(device, this.options.host, this.ports[role]);
        opened.push(socket);
        // Port 0 (tests): the first socket's port is every link's.
        this.ports[role] = socket.address().port;
        socket.on('message', (message, remote) => this.onMessage(device, socket, role, message, remote));
        socket.on('error', (error) => this.log.error('dhcp_socket_error', { device, role, error }));
        sockets[role] = socket;
      }
      if (this.closed) throw new Error('closed');
      this.listeners.set(device, { sockets, addresses });
      this.failedDevices.delete(device);
      return null;
    } catch (error) {
      for (const socket of opened) socket.close();
      if (this.closed) return null;
      // A link that cannot be opened now (its port taken there, gone again).
      const said = (error as Error).message;
      if (this.failedDevices.get(device) !== said) this.log.warn('dhcp_link_failed', { device, error });
      this.failedDevices.set(device, said);
      return error;
    }
  }

  private plainSocket(port: number): Promise<Socket> {
    const socket = createSocket({ type: 'udp4', reuseAddr: true });
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ port, address: this.options.host, exclusive: true }, () => {
        socket.off('error', reject);
        socket.setBroadcast(true);
        resolve(socket);
      });
    });
  }

  private async closeLink(device: string): Promise<void> {
    const open = this.listeners.get(device);
    if (!open) return;
    this.listeners.delete(device);
    await Promise.all(Object.values(open.sockets).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    if (!this.closed) this.log.info('dhcp_link_down', { device });
  }

  private ignore(reason: string, arch?: number): void {
    this.ignored.inc(arch === undefined ? { reason } : { reason, arch: String(arch) });
  }

  private onMessage(device: string, socket: Socket, role: Role, message: Buffer, remote: RemoteInfo): void {
    if (message.length > MAX_DHCP_DATAGRAM_BYTES) return this.ignore('oversized');
    const decoded = decodeDhcp(message);
    if (!decoded.ok) return this.ignore('malformed');
    const request = decoded.packet;
    const decided = decidePxe(request, role, this.options.bootFiles);
    if ('ignored' in decided) {
      if (decided.ignored !== 'no_boot_file') return this.ignore(decided.ignored);
      const arch = decided.archs![0];
      if (!this.reportedArchs.has(arch)) {
        this.reportedArchs.add(arch);
        this.log.warn('dhcp_no_boot_file', { arch, architecture: architecture(arch).name, listed: decided.archs, hint: 'RELAY_BOOT_FILES names a boot file per architecture' });
      }
      return this.ignore('no_boot_file', arch);
    }
    const { offer } = decided;
    if (this.options.mayOffer && !this.options.mayOffer(offer.mac)) return this.ignore('cannot_serve');
    if (offer.kind === 'loader' && this.options.hasBootFile && !this.options.hasBootFile(offer.file)) return this.ignore('boot_file_missing', offer.arch);

    const hints = [request.ciaddr, request.giaddr, remote.address];
    const links = this.currentLinks();
    const link = device === ANY_LINK ? linkHolding(links.values(), hints) : links.get(device);
    const chosen = advertisedAddress(link, hints, this.options.advertiseAddress);
    if ('refused' in chosen) return this.ignore(chosen.refused);
    const reply = pxeReply(request, decided, { address: chosen.address, httpPort: this.options.httpPort, relayId: this.options.relayId });
    const served = this.served ?? (link ? linkNetworks(link) : new BlockList());
    const to = replyDestination(role, request, remote, { dhcpPort: this.ports.dhcp, clientPort: this.options.clientPort }, served);
    if ('refused' in to) return this.ignore(to.refused);
    socket.send(encodeDhcp(reply), to.port, to.address);
    this.answered.inc({ port: role, file: offer.kind === 'ipxe' ? 'boot.ipxe' : offer.transport === 'http' ? `http:${offer.file}` : offer.file });
    this.log.info('dhcp_pxe_answer', { role, device, mac: offer.mac, file: reply.file, to: `${to.address}:${to.port}` });
  }
}
