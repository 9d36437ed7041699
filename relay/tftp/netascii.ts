import { type BlockSource, BufferSource } from './block-source';
import type { TransferSource } from './engine';

/**
 * RFC 764 netascii, as the blocks of a transfer are read: CR LF for a newline, CR NUL for a bare
 * carriage return. No converted copy of the file is ever made (forty requests for a 16 MiB file
 * would hold forty copies); a transfer converts the block it sends, from where the block before
 * it ended. Pure.
 */
const CR = 0x0d;
const LF = 0x0a;
const NUL = 0x00;

/** How many bytes longer data gets as netascii: one for every CR and every LF. */
export function netasciiGrowth(data: Buffer): number {
  return countByte(data, CR) + countByte(data, LF);
}

function countByte(data: Buffer, byte: number): number {
  let count = 0;
  for (let i = data.indexOf(byte); i !== -1; i = data.indexOf(byte, i + 1)) count++;
  return count;
}

/** The whole of data as netascii, for a small file or a test. */
export function toNetascii(data: Buffer): Buffer {
  const source = new NetasciiSource(new BufferSource(data), data.length + netasciiGrowth(data), 1);
  return source.read(0, source.size) as Buffer;
}

/**
 * A place in the conversion: converted offset, the original offset it comes from, and the second
 * byte of a CR pair whose first byte is just before it (a pair can straddle two blocks), or -1.
 */
interface Mark {
  converted: number;
  original: number;
  owed: number;
}

const START: Mark = { converted: 0, original: 0, owed: -1 };
/** Original bytes read at a time when a read has to catch up from an earlier mark (within a FileSource chunk). */
const CATCH_UP_PIECE = 64 * 1024;

/**
 * The netascii form of an original source, read by converted offset. Blocks are read in order, and
 * a rewound window starts at the block after the last one acknowledged, so the marks where the
 * last few reads ended are all a read needs; one further back (a transfer taken over by another
 * thread) is converted from the start again.
 */
export class NetasciiSource implements BlockSource {
  private readonly marks: Mark[] = [];
  private nextMark = 0;

  /**
   * size: the converted length (original size plus netasciiGrowth). keepMarks: how many reads back
   * a read may start (a window and one).
   */
  constructor(
    private readonly original: BlockSource,
    readonly size: number,
    private readonly keepMarks: number,
  ) {}

  read(offset: number, length: number): Buffer | Promise<Buffer> {
    const out = Buffer.allocUnsafe(Math.max(0, Math.min(length, this.size - offset)));
    return this.fill(out, offset, this.markAtOrBefore(offset));
  }

  close(): void {
    this.original.close();
  }

  private fill(out: Buffer, offset: number, from: Mark): Buffer | Promise<Buffer> {
    const end = offset + out.length;
    let mark = from;
    while (mark.converted < end) {
      const want = Math.min(end - mark.converted, CATCH_UP_PIECE, this.original.size - mark.original);
      const bytes = want > 0 ? this.original.read(mark.original, want) : Buffer.alloc(0);
      if (bytes instanceof Promise) return bytes.then((b) => this.fill(out, offset, this.advance(mark, b, out, offset)));
      mark = this.advance(mark, bytes, out, offset);
    }
    this.remember(mark);
    return out;
  }

  private advance(mark: Mark, bytes: Buffer, out: Buffer, offset: number): Mark {
    const next = this.convert(mark, bytes, out, offset);
    if (next.converted === mark.converted) throw new Error('file shorter than its size');
    return next;
  }

  /** Converts bytes (the original from mark on) into out, which holds offset..; answers where it stopped. */
  private convert(mark: Mark, bytes: Buffer, out: Buffer, offset: number): Mark {
    const end = offset + out.length;
    let at = mark.converted;
    let owed = mark.owed;
    let i = 0;
    if (owed !== -1 && at < end) {
      if (at >= offset) out[at - offset] = owed;
      at++;
      owed = -1;
    }
    while (at < end && i < bytes.length) {
      const byte = bytes[i++];
      if (byte !== CR && byte !== LF) {
        if (at >= offset) out[at - offset] = byte;
        at++;
        continue;
      }
      if (at >= offset) out[at - offset] = CR;
      at++;
      const second = byte === LF ? LF : NUL;
      if (at === end) owed = second;
      else {
        if (at >= offset) out[at - offset] = second;
        at++;
      }
    }
    return { converted: at, original: mark.original + i, owed };
  }

  private remember(mark: Mark): void {
    this.marks[this.nextMark] = mark;
    this.nextMark = (this.nextMark + 1) % this.keepMarks;
  }

  private markAtOrBefore(offset: number): Mark {
    let best = START;
    for (const mark of this.marks) if (mark.converted <= offset && mark.converted > best.converted) best = mark;
    return best;
  }
}

/** What a transfer reads: the original source, or its netascii form when the request asked for that. */
export function transferBlocks(original: BlockSource, source: TransferSource, windowsize: number): BlockSource {
  return source.netasciiSize === undefined ? original : new NetasciiSource(original, source.netasciiSize, windowsize + 2);
}
