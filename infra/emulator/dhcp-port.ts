import { createSocket, type Socket } from 'node:dgram';
import { macToBytes } from '../../functions/domain/mac';
import { clientRequest, decodeDhcp, DhcpOption, type DhcpPacket, encodeDhcp } from '../../relay/dhcp/codec';
import { deadline } from './deadline';

/** What a PXE client says about itself: option 93 (0 BIOS, 7 x64 UEFI) and, once iPXE runs, user class "iPXE". */
export function pxeRequest(mac: string, type: number, arch: number, options: { userClass?: string; ciaddr?: string } = {}): DhcpPacket {
  const fields = new Map<number, Uint8Array>([
    [DhcpOption.MESSAGE_TYPE, Uint8Array.of(type)],
    [DhcpOption.VENDOR_CLASS, Buffer.from(`PXEClient:Arch:${String(arch).padStart(5, '0')}:UNDI:003016`)],
    [DhcpOption.CLIENT_ARCH, Uint8Array.of(arch >> 8, arch & 0xff)],
    [DhcpOption.CLIENT_GUID, Uint8Array.of(0, ...macToBytes(mac), ...new Array(10).fill(0x42))],
  ]);
  if (options.userClass) fields.set(DhcpOption.USER_CLASS, Buffer.from(options.userClass));
  return clientRequest(mac, fields, options.ciaddr ? { ciaddr: options.ciaddr } : {});
}

export interface DhcpAnswer {
  packet: DhcpPacket;
  from: { address: string; port: number };
}

interface Waiter {
  resolve: (answer: DhcpAnswer) => void;
}

/**
 * The DHCP client port of a whole fleet: one socket (on RELAY_DHCP_CLIENT_PORT, 68 on a real
 * network) that every emulated terminal sends from and hears its answers on, told apart by xid.
 * A request is sent again while no answer comes (1 s, 2 s, 4 s…), as PXE firmware does, to every
 * server at once: on a real network one broadcast reaches both relays.
 */
export class DhcpPort {
  private readonly waiting = new Map<number, Waiter>();
  /** Exchanges that gave up, by xid: an answer for one came too late (kept for the last 100,000). */
  private readonly gaveUp = new Set<number>();
  /**
   * Requests sent (each repeat and each server counted), answers taken, answers to an exchange
   * that had given up (late: the server or this process was too slow), other answers (a second
   * relay's, an answer to a repeat).
   */
  readonly counts = { sent: 0, answered: 0, late: 0, second: 0 };

  private constructor(private readonly socket: Socket) {
    socket.on('message', (message, remote) => {
      const decoded = decodeDhcp(message);
      if (!decoded.ok || decoded.packet.op !== 2) return;
      const waiter = this.waiting.get(decoded.packet.xid);
      if (!waiter) {
        if (this.gaveUp.has(decoded.packet.xid)) this.counts.late++;
        else this.counts.second++;
        return;
      }
      this.counts.answered++;
      this.waiting.delete(decoded.packet.xid);
      waiter.resolve({ packet: decoded.packet, from: { address: remote.address, port: remote.port } });
    });
  }

  static async open(port: number, address = '0.0.0.0'): Promise<DhcpPort> {
    // Hundreds of terminals' answers may arrive while the process is busy: room for them (the kernel caps it at rmem_max).
    const socket = createSocket({ type: 'udp4', reuseAddr: true, recvBufferSize: 4 * 1024 * 1024 });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, address, () => {
        socket.off('error', reject);
        socket.setBroadcast(true);
        resolve();
      });
    });
    return new DhcpPort(socket);
  }

  get port(): number {
    return this.socket.address().port;
  }

  /** The first answer to `packet` from any of the servers, or null after timeoutMs. */
  async exchange(packet: DhcpPacket, servers: Array<{ address: string; port: number }>, timeoutMs: number): Promise<DhcpAnswer | null> {
    const bytes = encodeDhcp(packet);
    const answered = new Promise<DhcpAnswer>((resolve) => this.waiting.set(packet.xid, { resolve }));
    const giveUpAt = performance.now() + timeoutMs;
    try {
      for (let wait = 1000; ; wait *= 2) {
        const left = giveUpAt - performance.now();
        if (left <= 0) {
          this.gaveUp.add(packet.xid);
          if (this.gaveUp.size > 100_000) this.gaveUp.delete(this.gaveUp.values().next().value!);
          return null;
        }
        for (const server of servers) this.socket.send(bytes, server.port, server.address);
        this.counts.sent += servers.length;
        const answer = await within(answered, Math.min(wait, left));
        if (answer) return answer;
      }
    } finally {
      this.waiting.delete(packet.xid);
    }
  }

  close(): Promise<void> {
    this.waiting.clear();
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}

/** The promise's value, or null when it takes longer than ms (the timer is always cleared). */
export async function within<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  let timer: { clear(): void } | undefined;
  const late = new Promise<null>((resolve) => (timer = deadline(ms, () => resolve(null))));
  try {
    return await Promise.race([promise, late]);
  } finally {
    timer?.clear();
  }
}
