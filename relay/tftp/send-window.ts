/**
 * Which DATA blocks a sender puts on the wire next (RFC 1350 lock-step, RFC 7440 windows).
 * Pure state: it is told about ACKs and timeouts and answers with a range of blocks to send.
 *
 * Blocks are counted from 1 without limit; on the wire a block number is the count modulo
 * 65536, so files of more than 65535 blocks roll over (firmware images exceed 32 MiB).
 * A file always ends with a block shorter than blksize, empty when its size is a multiple.
 */
export type WindowStep =
  | { action: 'send'; from: number; to: number; rewound: boolean }
  | { action: 'done' }
  | { action: 'ignore' };

export function blockCount(size: number, blksize: number): number {
  return Math.floor(size / blksize) + 1;
}

export class SendWindow {
  /** Highest block the receiver acknowledged (0: none yet). */
  acked = 0;
  /** Highest block put on the wire. */
  sent = 0;

  constructor(
    readonly totalBlocks: number,
    readonly windowsize: number,
  ) {
    if (windowsize < 1 || windowsize > 65535) throw new RangeError('windowsize must be 1..65535');
  }

  /** The first window, sent right after the request (or after the ACK of an OACK). */
  start(): WindowStep {
    return this.windowFrom(1, false);
  }

  onAck(wireBlock: number): WindowStep {
    const block = this.resolve(wireBlock);
    if (block === null) return { action: 'ignore' };
    if (block === this.totalBlocks) {
      this.acked = block;
      return { action: 'done' };
    }
    if (block === this.acked) {
      // A repeated ACK. Lock-step: ignore it, or both sides would double every packet from then
      // on (the Sorcerer's Apprentice). With a window: the receiver lost something after it.
      if (this.windowsize === 1) return { action: 'ignore' };
      return this.windowFrom(block + 1, true);
    }
    this.acked = block;
    if (block === this.sent) return this.windowFrom(block + 1, false);
    // Part of the window acknowledged: the receiver gave up waiting for the rest.
    return this.windowFrom(block + 1, true);
  }

  /** No ACK in time: send again from the block after the last one acknowledged. */
  onTimeout(): WindowStep {
    return this.windowFrom(this.acked + 1, true);
  }

  private windowFrom(from: number, rewound: boolean): WindowStep {
    const to = Math.min(this.totalBlocks, from + this.windowsize - 1);
    this.sent = to;
    return { action: 'send', from, to, rewound };
  }

  /** The block count an ACK's 16-bit number stands for: one of acked..sent, or null. */
  private resolve(wire: number): number | null {
    // acked..sent spans at most 65536 numbers, so at most one matches.
    const candidate = this.acked + ((wire - (this.acked & 0xffff) + 0x10000) & 0xffff);
    return candidate <= this.sent ? candidate : null;
  }
}
