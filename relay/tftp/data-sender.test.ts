import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { decodePacket } from './codec';
import { DataSender, segmentRuns } from './data-sender';
import { enableUdpSegmentation } from './udp-segmentation';

describe('segmentRuns', () => {
  it('cuts a window into runs of at most max blocks', () => {
    expect(segmentRuns([512, 512, 512, 512, 512], 512, 2)).toEqual([2, 2, 1]);
    expect(segmentRuns([512, 512, 512], 512, 64)).toEqual([3]);
  });

  it('ends a run at a short block: only the last segment of a send may be short', () => {
    expect(segmentRuns([512, 512, 100], 512, 64)).toEqual([3]);
    expect(segmentRuns([512, 0, 512], 512, 64)).toEqual([2, 1]);
  });
});

/** Real sockets on loopback: a receiver, and a sender connected to it. */
async function pair(): Promise<{ sender: Socket; received: Buffer[]; close(): void }> {
  const receiver = createSocket({ type: 'udp4', recvBufferSize: 4 * 1024 * 1024 });
  const received: Buffer[] = [];
  receiver.on('message', (m) => received.push(m));
  await new Promise<void>((resolve) => receiver.bind(0, '127.0.0.1', () => resolve()));
  const sender = createSocket('udp4');
  await new Promise<void>((resolve) => sender.bind(0, '127.0.0.1', () => sender.connect(receiver.address().port, '127.0.0.1', () => resolve())));
  return {
    sender,
    received,
    close() {
      sender.close();
      receiver.close();
    },
  };
}

const until = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
};

function blocksOf(received: Buffer[]): Map<number, Buffer[]> {
  const blocks = new Map<number, Buffer[]>();
  for (const m of received) {
    const p = decodePacket(m);
    if (p.op !== 'data') throw new Error(`not DATA: ${p.op}`);
    blocks.set(p.block, [...(blocks.get(p.block) ?? []), Buffer.from(p.data)]);
  }
  return blocks;
}

describe.runIf(process.platform === 'linux')('DataSender on loopback', () => {
  let close = () => {};
  afterEach(() => close());

  it('sends a window as one segmented send that arrives as one DATA datagram a block', async () => {
    const p = await pair();
    close = p.close;
    const segments = enableUdpSegmentation(p.sender, 1468 + 4);
    expect(segments).toBeGreaterThan(1);
    const payloads = [...Array.from({ length: 15 }, () => randomBytes(1468)), randomBytes(300)];
    const sender = new DataSender(p.sender, 1468, segments);
    sender.send(65530, payloads);
    await until(() => p.received.length >= 16);
    expect(p.received.map((m) => m.length)).toEqual([...Array(15).fill(1472), 304]);
    const blocks = blocksOf(p.received);
    // Block numbers roll over inside the one send.
    payloads.forEach((payload, i) => expect(blocks.get((65530 + i) & 0xffff)).toEqual([payload]));
  });

  it('sends block by block again, each block once, when the kernel refuses a segmented send', async () => {
    const p = await pair();
    close = p.close;
    expect(enableUdpSegmentation(p.sender, 1472)).toBeGreaterThan(1);
    // 60 segments of 1472 bytes exceed a UDP payload: the kernel answers EMSGSIZE.
    const refusals: Error[] = [];
    const sender = new DataSender(p.sender, 1468, 60, (error) => refusals.push(error));
    const payloads = Array.from({ length: 60 }, () => randomBytes(1468));
    sender.send(1, payloads);
    await until(() => p.received.length >= 60);
    expect(refusals).toHaveLength(1);
    expect(sender.segmented).toBe(false);
    const blocks = blocksOf(p.received);
    expect(blocks.size).toBe(60);
    payloads.forEach((payload, i) => expect(blocks.get(1 + i)).toEqual([payload]));
  });

  it('sends one datagram a block without segmentation', async () => {
    const p = await pair();
    close = p.close;
    const sender = new DataSender(p.sender, 512, 1);
    sender.send(7, [randomBytes(512), randomBytes(10)]);
    await until(() => p.received.length >= 2);
    expect(p.received.map((m) => m.length)).toEqual([516, 14]);
  });
});
