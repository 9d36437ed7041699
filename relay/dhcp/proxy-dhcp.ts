import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import type { Logger } from '../observe/log';
import type { Counter, Metrics } from '../observe/metrics';
import { decodeDhcp, encodeDhcp } from './codec';
import { type PxeSettings, pxeReply } from './pxe-offer';

export interface ProxyDhcpOptions extends PxeSettings {
  host: string;
  /** 67: DISCOVERs, broadcast. */
  dhcpPort: number;
  /** 4011: PXE boot server REQUESTs, unicast. */
  pxePort: number;
  /** 68: where clients listen. */
  clientPort: number;
}

/**
 * proxyDHCP (RELAY_PROXYDHCP=on): answers PXE clients beside the site's DHCP server, which keeps
 * handing out the addresses. Both relays of a site answer; a client takes the first offer.
 */
export class ProxyDhcpServer {
  private sockets: Socket[] = [];
  private readonly answered: Counter;
  private readonly ignored: Counter;

  constructor(
    private readonly options: ProxyDhcpOptions,
    private readonly log: Logger,
    metrics: Metrics,
  ) {
    this.answered = metrics.counter('relay_dhcp_replies_total', 'proxyDHCP answers sent, by port and client kind.');
    this.ignored = metrics.counter('relay_dhcp_ignored_total', 'DHCP datagrams not answered (not PXE, malformed, not a request).');
  }

  async listen(): Promise<{ dhcpPort: number; pxePort: number }> {
    const dhcp = await this.bind(this.options.dhcpPort, 'dhcp');
    const pxe = await this.bind(this.options.pxePort, 'pxe');
    return { dhcpPort: dhcp.address().port, pxePort: pxe.address().port };
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
    let address: string;
    let port: number;
    if (role === 'pxe') {
      address = remote.address;
      port = remote.port;
    } else if (reply.giaddr !== '0.0.0.0') {
      address = reply.giaddr;
      port = this.options.dhcpPort;
    } else if (reply.ciaddr !== '0.0.0.0') {
      address = reply.ciaddr;
      port = this.options.clientPort;
    } else {
      address = '255.255.255.255';
      port = this.options.clientPort;
    }
    socket.send(encodeDhcp(reply), port, address);
    this.answered.inc({ port: role, file: reply.file.startsWith('http') ? 'http' : reply.file });
    this.log.info('dhcp_pxe_answer', { role, mac: Array.from(reply.chaddr.subarray(0, 6), (b) => b.toString(16).padStart(2, '0')).join(':'), file: reply.file, to: `${address}:${port}` });
  }
}
