import type { TransferLink } from '../transfer';
import { segmentRuns } from '../udp-segmentation';
import { Errno, type Syscalls } from './syscalls';

const DATA = 3;

/**
 * A transfer's connected socket, written with plain send(2): a DATA block is its header and
 * payload copied into one buffer and sent, and a window on a socket with UDP segmentation on
 * (segments > 1) goes out as one send that the kernel cuts into one datagram a block. A segmented
 * send the kernel refuses is sent again a block at a time, and the link stays so.
 * A full socket buffer drops the datagram, as a network would; the client's ACK or its silence
 * brings the block again.
 */
export class RawLink implements TransferLink {
  private readonly scratch: Buffer;
  private fd: number;
  /** Why the kernel refused a segmented send, when it did. */
  refused: string | undefined;

  constructor(
    private readonly sys: Syscalls,
    fd: number,
    private readonly blksize: number,
    private segments: number,
    /** The socket failed: the client's port is gone, or worse. */
    private readonly onError: (detail: string) => void,
    /** Why an earlier link on this socket found segmented sends refused. */
    refused?: string,
  ) {
    this.fd = fd;
    this.refused = refused;
    this.scratch = Buffer.allocUnsafe(Math.max(1, segments) * (blksize + 4));
  }

  get segmented(): boolean {
    return this.segments > 1;
  }

  /** Blocks one send carries now: 1 unless the socket segments, or after the kernel refused it. */
  get segmentsPerSend(): number {
    return this.segments;
  }

  send(packet: Buffer): void {
    this.put(packet, packet.length);
  }

  sendData(first: number, payloads: readonly Buffer[]): void {
    if (this.segments < 2) {
      for (let i = 0; i < payloads.length && this.fd >= 0; i++) this.put(this.scratch, this.pack(0, first + i, payloads[i]));
      return;
    }
    let start = 0;
    for (const run of segmentRuns(payloads.map((p) => p.length), this.blksize, this.segments)) {
      let length = 0;
      for (let i = start; i < start + run; i++) length = this.pack(length, first + i, payloads[i]);
      if (!this.put(this.scratch, length, run > 1)) {
        // The kernel refused the segmented send: the same blocks again, one datagram each.
        this.refused ??= this.sys.strerror(this.sys.errno());
        this.segments = 1;
        this.sendData(first + start, payloads.slice(start, start + run));
        this.sendData(first + start + run, payloads.slice(start + run));
        return;
      }
      start += run;
    }
  }

  close(): void {
    if (this.fd < 0) return;
    this.sys.close(this.fd);
    this.fd = -1;
  }

  /** Writes block's DATA packet into the scratch buffer at offset; answers where it ends. */
  private pack(offset: number, block: number, payload: Buffer): number {
    this.scratch[offset] = 0;
    this.scratch[offset + 1] = DATA;
    this.scratch[offset + 2] = (block >> 8) & 0xff;
    this.scratch[offset + 3] = block & 0xff;
    payload.copy(this.scratch, offset + 4);
    return offset + 4 + payload.length;
  }

  /**
   * One send; answers false only when a segmented send was refused (to be sent again block by
   * block). Other failures end the transfer, or are a drop.
   */
  private put(bytes: Buffer, length: number, segmented = false): boolean {
    if (this.fd < 0) return true;
    if (this.sys.send(this.fd, bytes, length) >= 0) return true;
    const errno = this.sys.errno();
    if (errno === Errno.EAGAIN || errno === Errno.ENOBUFS || errno === Errno.EINTR) return true;
    if (segmented && errno !== Errno.ECONNREFUSED) return false;
    this.onError(errno === Errno.ECONNREFUSED ? 'client port unreachable' : this.sys.strerror(errno));
    return true;
  }
}
