import { createSocket, type Socket } from 'node:dgram';
import { decodePacket, encodeAck, encodeRequest, type TftpOption, type TftpPacket } from '../../relay/tftp/codec';
import { deadline } from './deadline';

export interface Received {
  packet: TftpPacket | { op: 'malformed'; reason: string };
  port: number;
}

/**
 * A TFTP client made of a bare socket: the emulator's TFTP, and the relay tests' tool for driving
 * the protocol step by step.
 */
export class RawTftpClient {
  readonly socket: Socket;
  private readonly queue: Received[] = [];
  private waiter: ((r: Received) => void) | null = null;
  private sending = 0;
  private drained: (() => void) | null = null;
  /** The server's transfer port (its TID), learnt from the first answer. */
  serverPort = 0;

  private constructor(
    private readonly requestPort: number,
    private readonly host: string,
  ) {
    this.socket = createSocket('udp4');
    this.socket.on('message', (message, remote) => {
      const received = { packet: decodePacket(message), port: remote.port };
      if (this.waiter) {
        const w = this.waiter;
        this.waiter = null;
        w(received);
      } else this.queue.push(received);
    });
  }

  /** A client of the server at host:requestPort, sending from localAddress (an emulated terminal's own). */
  static async open(requestPort: number, options: { host?: string; localAddress?: string } = {}): Promise<RawTftpClient> {
    const client = new RawTftpClient(requestPort, options.host ?? '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      client.socket.once('error', reject);
      client.socket.bind(0, options.localAddress ?? '127.0.0.1', () => {
        client.socket.off('error', reject);
        resolve();
      });
    });
    return client;
  }

  private send(bytes: Uint8Array, port: number): void {
    this.sending++;
    this.socket.send(bytes, port, this.host, () => {
      if (--this.sending === 0) this.drained?.();
    });
  }

  sendToRequestPort(bytes: Uint8Array): void {
    this.send(bytes, this.requestPort);
  }

  request(filename: string, options: TftpOption[] = [], mode = 'octet'): void {
    this.sendToRequestPort(encodeRequest('rrq', filename, mode, options));
  }

  sendToTransfer(bytes: Uint8Array): void {
    this.send(bytes, this.serverPort);
  }

  ack(block: number): void {
    this.sendToTransfer(encodeAck(block));
  }

  /** The next datagram from the server, or an error after timeoutMs (a bound, not an assertion). */
  next(timeoutMs = 5000): Promise<Received> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(this.learn(queued));
    return new Promise((resolve, reject) => {
      const timer = deadline(timeoutMs, () => {
        this.waiter = null;
        reject(new Error('no datagram from the server'));
      });
      this.waiter = (r) => {
        timer.clear();
        resolve(this.learn(r));
      };
    });
  }

  private learn(r: Received): Received {
    if (!this.serverPort && r.port !== this.requestPort) this.serverPort = r.port;
    return r;
  }

  /** Sends a request and waits for the first answer, sending the request again when it is lost (UDP). */
  async requestAndWait(filename: string, options: TftpOption[] = [], mode = 'octet', tries = 5, intervalMs = 1000): Promise<Received> {
    for (let i = 1; ; i++) {
      this.request(filename, options, mode);
      try {
        return await this.next(intervalMs);
      } catch (error) {
        if (i >= tries) throw error;
      }
    }
  }

  /**
   * Reads a whole file lock-step (or with a window, acking each window's last block). The request
   * goes again every requestIntervalMs until answered (requestTries in all); while the server is
   * silent its last ACK goes again every retransmitMs (RFC 1350: a lost ACK or DATA is recovered by
   * the side that times out), until silenceMs have passed without a datagram.
   */
  async fetch(
    filename: string,
    options: TftpOption[] = [],
    mode = 'octet',
    { requestTries = 5, requestIntervalMs = 1000, silenceMs = 5000, retransmitMs = 1000 } = {},
  ): Promise<{ data: Buffer; oack: TftpOption[] | null }> {
    this.queue.unshift(await this.requestAndWait(filename, options, mode, requestTries, requestIntervalMs));
    const chunks: Buffer[] = [];
    let oack: TftpOption[] | null = null;
    let expected = 1;
    let negotiatedBlksize = 512;
    let windowsize = 1;
    let inWindow = 0;
    let lastAck: number | null = null;
    const ack = (block: number) => {
      lastAck = block;
      this.ack(block);
    };
    for (let silent = 0; ; ) {
      let received: Received;
      try {
        received = await this.next(Math.min(retransmitMs, silenceMs - silent));
        silent = 0;
      } catch (error) {
        silent += retransmitMs;
        if (silent >= silenceMs) throw error;
        if (lastAck !== null) this.ack(lastAck);
        continue;
      }
      const { packet, port } = received;
      // A request sent twice may open two transfers: keep to the first one's port.
      if (port !== this.serverPort) continue;
      if (packet.op === 'oack') {
        oack = packet.options;
        negotiatedBlksize = Number(oack.find(([n]) => n === 'blksize')?.[1] ?? 512);
        windowsize = Number(oack.find(([n]) => n === 'windowsize')?.[1] ?? 1);
        ack(0);
        continue;
      }
      if (packet.op === 'error') throw new Error(`TFTP error ${packet.code}: ${packet.message}`);
      if (packet.op !== 'data') throw new Error(`unexpected ${packet.op}`);
      if (packet.block !== (expected & 0xffff)) continue;
      chunks.push(Buffer.from(packet.data));
      expected++;
      inWindow++;
      const last = packet.data.length < (oack ? negotiatedBlksize : 512);
      if (last || inWindow === windowsize) {
        ack(packet.block);
        inWindow = 0;
      }
      if (last) return { data: Buffer.concat(chunks), oack };
    }
  }

  /** Closes once every datagram handed to send() has left (sends resolve the address first). */
  async close(): Promise<void> {
    if (this.sending > 0) await new Promise<void>((resolve) => (this.drained = resolve));
    this.socket.close();
  }
}
