import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import type { BlockList } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { Logger } from '../observe/log';
import type { Counter, Metrics } from '../observe/metrics';
import { decodeDhcp, encodeDhcp, MAX_DHCP_DATAGRAM_BYTES } from './codec';
import { type PxeSettings, pxeReply } from './pxe-offer';
import { interfaceNetwork, replyDestination } from './reply-address';
import { addressSet, type Cidr } from '../settings';

export interface ProxyDhcpOptions extends PxeSettings {
  host: string;
  /** 67: DISCOVERs, broadcast. */
  dhcpPort: number;
  /** 4011: PXE boot server REQUESTs, unicast. */
  pxePort: number;
  /** 68: where clients listen. */
  clientPort: number;
  /** Where unicast answers may go; null: the network of the interface holding the advertised address. */
  networks: Cidr[] | null;
}

/**
 * proxyDHCP (RELAY_PROXYDHCP=on): answers PXE clients beside the site's DHCP server, which keeps
 * handing out the addresses. Both relays of a site answer; a client takes the first offer.
 */
export class ProxyDhcpServer {
  private sockets: Socket[] = [];
  /** Where unicast answers may go. */
  private readonly served: BlockList;
  private readonly networks: string[];
  private readonly answered: Counter;
  private readonly ignored: Counter;

  constructor(
    private readonly options: ProxyDhcpOptions,
    private readonly log: Logger,
    metrics: Metrics,
  ) {
    this.answered = metrics.counter('relay_dhcp_replies_total', 'proxyDHCP answers sent, by port and client kind.');
    this.ignored = metrics.counter('relay_dhcp_ignored_total', 'DHCP datagrams not answered, by reason (oversized, malformed, not_pxe, off_network).');
    const own = interfaceNetwork(options.address, networkInterfaces());
    const networks = options.networks ?? (own ? [own] : null);
    if (!networks) {
      throw new Error(`proxyDHCP: the advertised address ${options.address} is on no interface of this host; set RELAY_DHCP_NETWORKS to the networks it serves`);
    }
    this.served = addressSet(networks);
    this.networks = networks.map((n) => `${n.address}/${n.prefix}`);
  }

  async listen(): Promise<{ dhcpPort: number; pxePort: number; networks: string[] }> {
    const dhcp = await this.bind(this.options.dhcpPort, 'dhcp');
    const pxe = await this.bind(this.options.pxePort, 'pxe');
    return { dhcpPort: dhcp.address().port, pxePort: pxe.address().port, networks: this.networks };
  }

  async close(): Promise<void> {
    await Promise.all(this.sockets.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    this.sockets = [];
  }

  private bind(port: number, role: 'dhcp' | 'pxe'): Promise<Socket> {
    const socket = createSocket({ type: 'udp4', reuseAddr: true });
    socket.on('message', (message, remote) => this.onMessage(socket, role, message, remote));
    socket.on('error', (error) => this.log.error('dhcp_socket_error', { role, error }));
    this.sockets.push(socket);
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ port, address: this.options.host, exclusive: true }, () => {
        socket.off('error', reject);
        socket.setBroadcast(true);
        resolve(socket);
      });
    });
  }

  private onMessage(socket: Socket, role: 'dhcp' | 'pxe', message: Buffer, remote: RemoteInfo): void {
    if (message.length > MAX_DHCP_DATAGRAM_BYTES) {
      this.ignored.inc({ reason: 'oversized' });
      return;
    }
    const decoded = decodeDhcp(message);
    if (!decoded.ok) {
      this.ignored.inc({ reason: 'malformed' });
      return;
    }
    const reply = pxeReply(decoded.packet, this.options);
    if (!reply) {
      this.ignored.inc({ reason: 'not_pxe' });
      return;
    }
    const to = replyDestination(role, reply, remote, this.options, this.served);
    if ('refused' in to) {
      this.ignored.inc({ reason: to.refused });
      return;
    }
    const { address, port } = to;
    socket.send(encodeDhcp(reply), port, address);
    this.answered.inc({ port: role, file: reply.file.startsWith('http') ? 'http' : reply.file });
    this.log.info('dhcp_pxe_answer', { role, mac: Array.from(reply.chaddr.subarray(0, 6), (b) => b.toString(16).padStart(2, '0')).join(':'), file: reply.file, to: `${address}:${port}` });
  }
}
