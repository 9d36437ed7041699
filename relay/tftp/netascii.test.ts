import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type BlockSource, BufferSource } from './block-source';
import { NetasciiSource, netasciiGrowth, toNetascii } from './netascii';

/** The conversion written the plain way, byte by byte, to hold the streaming one against. */
function reference(data: Buffer): Buffer {
  const out: number[] = [];
  for (const b of data) {
    if (b === 0x0a) out.push(0x0d, 0x0a);
    else if (b === 0x0d) out.push(0x0d, 0x00);
    else out.push(b);
  }
  return Buffer.from(out);
}

/** An original that must be waited for, as a file read from disk by the event loop is. */
class WaitingSource implements BlockSource {
  private readonly inner: BufferSource;
  constructor(data: Buffer) {
    this.inner = new BufferSource(data);
  }
  get size(): number {
    return this.inner.size;
  }
  read(offset: number, length: number): Promise<Buffer> {
    return Promise.resolve(this.inner.read(offset, length));
  }
  close(): void {}
}

/** Text full of line ends: every CR and LF pattern, and pairs that fall on every block boundary. */
function lineEnds(size: number): Buffer {
  const alphabet = Buffer.from('ab\n\r');
  return Buffer.from(randomBytes(size).map((b) => alphabet[b & 3]));
}

async function readAll(source: NetasciiSource, blksize: number): Promise<Buffer> {
  const blocks: Buffer[] = [];
  for (let offset = 0; offset <= source.size; offset += blksize) blocks.push(await source.read(offset, blksize));
  return Buffer.concat(blocks);
}

describe('netascii as blocks are sent', () => {
  it('converts LF to CR LF and a bare CR to CR NUL', () => {
    expect(toNetascii(Buffer.from('a\nb\rc'))).toEqual(Buffer.from('a\r\nb\r\0c', 'latin1'));
    expect(toNetascii(Buffer.from('line one\nline two\r\n'))).toEqual(Buffer.from('line one\r\nline two\r\0\r\n', 'latin1'));
    expect(netasciiGrowth(Buffer.from('a\nb\r\nc'))).toBe(3);
  });

  it.each([1, 2, 3, 8, 511, 512, 1468])('gives the same bytes as converting the whole file, in blocks of %i', async (blksize) => {
    const data = lineEnds(5000);
    const expected = reference(data);
    for (const original of [new BufferSource(data), new WaitingSource(data)]) {
      const source = new NetasciiSource(original, data.length + netasciiGrowth(data), 3);
      expect(source.size).toBe(expected.length);
      expect((await readAll(source, blksize)).equals(expected)).toBe(true);
    }
  });

  it('reads a rewound window again from where its first block started, and any block at all', async () => {
    const data = lineEnds(20_000);
    const expected = reference(data);
    const blksize = 512;
    const source = new NetasciiSource(new WaitingSource(data), expected.length, 6);
    const block = async (n: number) => (await source.read((n - 1) * blksize, blksize)).equals(expected.subarray((n - 1) * blksize, n * blksize));
    // A window of 4: blocks 1..4, the client acknowledged 2, blocks 3..6, then 7..10.
    for (const n of [1, 2, 3, 4, 3, 4, 5, 6, 7, 8, 9, 10]) expect(await block(n)).toBe(true);
    // Far back (a transfer taken over elsewhere) and far ahead.
    for (const n of [1, 30, 2, 50, 41]) expect(await block(n)).toBe(true);
  });

  it('ends with an empty block when the converted size is a multiple of the block size', async () => {
    const data = Buffer.from('abc\n'); // five bytes as netascii
    const source = new NetasciiSource(new BufferSource(data), 5, 3);
    expect(await source.read(0, 5)).toEqual(Buffer.from('abc\r\n'));
    expect((await source.read(5, 5)).length).toBe(0);
  });

  it('says so when the original is shorter than the size it was given', () => {
    const source = new NetasciiSource(new BufferSource(Buffer.from('ab')), 10, 3);
    expect(() => source.read(0, 10)).toThrow(/shorter/);
  });
});
