import type { Socket } from 'node:dgram';
import { encodeDataHeader } from './codec';
import type { TransferLink } from './transfer';
import { segmentRuns } from './udp-segmentation';

/**
 * A transfer's connected Node dgram socket. DATA goes out as a run of blocks in one segmented send
 * when the socket has UDP segmentation on (segments > 1), else one datagram a block. A segmented
 * send the kernel refuses (a path MTU below the segment size, say) is sent again a block at a
 * time, and the transfer stays with single datagrams from then on.
 */
export class DgramLink implements TransferLink {
  constructor(
    private readonly socket: Socket,
    private readonly blksize: number,
    private segments: number,
    private readonly onFallback: (error: Error) => void = () => {},
  ) {}

  get segmented(): boolean {
    return this.segments > 1;
  }

  send(packet: Buffer): void {
    this.socket.send(packet);
  }

  close(): void {
    // Let queued sends (a final error packet) leave before the socket goes.
    setImmediate(() => {
      try {
        this.socket.close();
      } catch {
        // already closed
      }
    });
  }

  sendData(first: number, payloads: readonly Buffer[]): void {
    if (this.segments < 2) {
      for (let i = 0; i < payloads.length; i++) this.socket.send([encodeDataHeader(first + i), payloads[i]]);
      return;
    }
    let offset = 0;
    for (const run of segmentRuns(payloads.map((p) => p.length), this.blksize, this.segments)) {
      const start = offset;
      offset += run;
      if (run === 1) {
        this.socket.send([encodeDataHeader(first + start), payloads[start]]);
        continue;
      }
      const list: Buffer[] = [];
      for (let i = start; i < start + run; i++) list.push(encodeDataHeader(first + i), payloads[i]);
      this.socket.send(list, (error) => {
        // ECANCELED: the transfer ended and closed its socket with this send still queued.
        if (!error || (error as NodeJS.ErrnoException).code === 'ECANCELED') return;
        if (this.segments > 1) this.onFallback(error);
        this.segments = 1;
        this.sendData(first + start, payloads.slice(start, start + run));
      });
    }
  }
}
