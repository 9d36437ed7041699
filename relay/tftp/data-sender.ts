import type { Socket } from 'node:dgram';
import { encodeDataHeader } from './codec';

/**
 * Runs of consecutive blocks that can go out as one segmented send: at most max blocks, each
 * but the last exactly blksize long (the kernel cuts equal segments; only the last may be short).
 * Answers the run lengths, in order.
 */
export function segmentRuns(lengths: readonly number[], blksize: number, max: number): number[] {
  const runs: number[] = [];
  let run = 0;
  for (const length of lengths) {
    run++;
    if (run === max || length < blksize) {
      runs.push(run);
      run = 0;
    }
  }
  if (run) runs.push(run);
  return runs;
}

/**
 * Puts DATA blocks on a transfer's connected socket: a run of blocks as one segmented send when
 * the socket has UDP segmentation on (segments > 1), else one datagram a block. A segmented send
 * the kernel refuses (a path MTU below the segment size, say) is sent again a block at a time,
 * and the transfer stays with single datagrams from then on.
 */
export class DataSender {
  constructor(
    private readonly socket: Socket,
    private readonly blksize: number,
    private segments: number,
    private readonly onFallback: (error: Error) => void = () => {},
  ) {}

  get segmented(): boolean {
    return this.segments > 1;
  }

  /** Sends blocks first, first + 1, … with these payloads. */
  send(first: number, payloads: readonly Buffer[]): void {
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
        this.send(first + start, payloads.slice(start, start + run));
      });
    }
  }
}
