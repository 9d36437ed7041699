import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BufferSource } from './block-source';
import type { NegotiatedOptions } from './codec';
import { TftpTransfer, type TransferLink, type TransferStats } from './transfer';

/** What a transfer put on the wire, in order: DATA blocks by number, other packets by opcode. */
class RecordingLink implements TransferLink {
  readonly blocks: Array<{ block: number; payload: Buffer }> = [];
  readonly packets: Buffer[] = [];
  closed = false;
  send(packet: Buffer): void {
    this.packets.push(packet);
  }
  sendData(first: number, payloads: readonly Buffer[]): void {
    payloads.forEach((payload, i) => this.blocks.push({ block: (first + i) & 0xffff, payload }));
  }
  close(): void {
    this.closed = true;
  }
}

const ack = (block: number) => Buffer.from([0, 4, (block >> 8) & 0xff, block & 0xff]);

function transferOf(file: Buffer, options: NegotiatedOptions, onEnd: (stats: TransferStats) => void) {
  const link = new RecordingLink();
  return { link, transfer: new TftpTransfer(link, new BufferSource(file), options, 5, onEnd) };
}

describe('a transfer handed to another owner mid-way', () => {
  it('goes on from where it stood, and the client gets every byte once', () => {
    const file = randomBytes(40 * 512 + 100);
    const options: NegotiatedOptions = { blksize: 512, windowsize: 4, timeoutSeconds: null, oack: [['windowsize', '4']] };
    const ends: TransferStats[] = [];
    const before = transferOf(file, options, (s) => ends.push(s));
    before.transfer.start();
    expect(before.link.packets).toHaveLength(1); // the OACK
    before.transfer.onMessage(ack(0));
    before.transfer.onMessage(ack(4));
    before.transfer.onMessage(ack(8));
    const state = before.transfer.state();
    expect(state).toMatchObject({ acked: 8, sent: 12, waitingForOackAck: false, bytesSent: 12 * 512 });

    // The new owner works on the same socket: the first owner's link is simply dropped, not closed.
    const after = transferOf(file, options, (s) => ends.push(s));
    after.transfer.resume(state);
    expect(after.link.blocks).toEqual([]); // blocks 9..12 are on the wire already
    for (let block = 12; block < 41; block += 4) after.transfer.onMessage(ack(block));
    after.transfer.onMessage(ack(41));

    const received = [...before.link.blocks, ...after.link.blocks];
    expect(received.map((b) => b.block)).toEqual(Array.from({ length: 41 }, (_, i) => i + 1));
    expect(Buffer.concat(received.map((b) => b.payload))).toEqual(file);
    expect(ends).toEqual([{ outcome: 'complete', bytesSent: file.length, retransmits: 0, detail: undefined }]);
    expect(before.link.closed).toBe(false);
    expect(after.link.closed).toBe(true);
  });

  it('keeps its retries: a client silent before and after the move is given up on at the same count', () => {
    const file = randomBytes(10 * 512);
    const options: NegotiatedOptions = { blksize: 512, windowsize: 1, timeoutSeconds: null, oack: [] };
    const ends: TransferStats[] = [];
    const before = transferOf(file, options, (s) => ends.push(s));
    before.transfer.start();
    before.transfer.onMessage(ack(1));
    before.transfer.tick(); // sees the ACK's progress
    before.transfer.tick();
    before.transfer.tick();
    const after = transferOf(file, options, (s) => ends.push(s));
    after.transfer.resume(before.transfer.state());
    after.transfer.tick();
    after.transfer.tick();
    expect(ends).toEqual([]);
    after.transfer.tick();
    expect(ends).toMatchObject([{ outcome: 'timeout', retransmits: 4 }]);
    // Block 2 went out after ACK 1 and again on each of the four silent intervals before the fifth.
    expect([...before.link.blocks, ...after.link.blocks].map((b) => b.block)).toEqual([1, 2, 2, 2, 2, 2]);
  });

  it('still waits for the ACK of its OACK when moved before the client answered it', () => {
    const file = randomBytes(3 * 512);
    const options: NegotiatedOptions = { blksize: 512, windowsize: 1, timeoutSeconds: null, oack: [['blksize', '512']] };
    const ends: TransferStats[] = [];
    const before = transferOf(file, options, (s) => ends.push(s));
    before.transfer.start();
    const after = transferOf(file, options, (s) => ends.push(s));
    after.transfer.resume(before.transfer.state());
    after.transfer.onMessage(ack(1)); // not the ACK of the OACK
    expect(after.link.blocks).toEqual([]);
    after.transfer.onMessage(ack(0));
    expect(after.link.blocks.map((b) => b.block)).toEqual([1]);
  });
});

describe('a client that acknowledges nothing (its source may be spoofed)', () => {
  const file = randomBytes(10 * 512);
  const lockStep: NegotiatedOptions = { blksize: 512, windowsize: 1, timeoutSeconds: null, oack: [] };
  const withOack: NegotiatedOptions = { blksize: 512, windowsize: 8, timeoutSeconds: null, oack: [['windowsize', '8']] };

  it.each([
    ['DATA 1', lockStep],
    ['the OACK', withOack],
  ])('gets %s twice, then nothing: no ERROR, however many retries the relay allows', (_first, options) => {
    const ends: TransferStats[] = [];
    const { link, transfer } = transferOf(file, options, (s) => ends.push(s));
    transfer.start();
    for (let i = 0; i < 5; i++) transfer.tick();
    expect(link.blocks.length + link.packets.length).toBe(2);
    expect(link.packets.every((p) => p[1] === 6)).toBe(true); // OACKs only, no ERROR
    expect(ends).toMatchObject([{ outcome: 'unacknowledged', retransmits: 1 }]);
    expect(link.closed).toBe(true);
  });

  it('may be evicted until its first ACK, which is announced once', () => {
    let announced = 0;
    const ends: TransferStats[] = [];
    const link = new RecordingLink();
    const answering = new TftpTransfer(link, new BufferSource(file), lockStep, 5, (s) => ends.push(s), () => announced++);
    answering.start();
    answering.onMessage(ack(1));
    answering.onMessage(ack(2));
    expect(announced).toBe(1);
    expect(answering.evict()).toBe(false);
    const silent = transferOf(file, lockStep, (s) => ends.push(s));
    silent.transfer.start();
    expect(silent.transfer.evict()).toBe(true);
    expect(ends).toMatchObject([{ outcome: 'evicted' }]);
    expect(silent.link.packets).toEqual([]);
  });
});
