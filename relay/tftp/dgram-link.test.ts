import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { dataBlocks, udpReceiver, until } from '../../test/relay/support/udp-receiver';
import { DgramLink } from './dgram-link';
import { enableUdpSegmentation } from './udp-segmentation';

/** Real sockets on loopback: a receiver, and a sender connected to it. */
async function pair(): Promise<{ sender: Socket; received: Buffer[]; close(): void }> {
  const receiver = await udpReceiver();
  const sender = createSocket('udp4');
  await new Promise<void>((resolve) => sender.bind(0, '127.0.0.1', () => sender.connect(receiver.port, '127.0.0.1', () => resolve())));
  return {
    sender,
    received: receiver.received,
    close() {
      sender.close();
      receiver.close();
    },
  };
}

describe.runIf(process.platform === 'linux')('DgramLink on loopback', () => {
  let close = () => {};
  afterEach(() => close());

  it('sends a window as one segmented send that arrives as one DATA datagram a block', async () => {
    const p = await pair();
    close = p.close;
    const segments = enableUdpSegmentation(p.sender, 1468 + 4);
    expect(segments).toBeGreaterThan(1);
    const payloads = [...Array.from({ length: 15 }, () => randomBytes(1468)), randomBytes(300)];
    const sender = new DgramLink(p.sender, 1468, segments);
    sender.sendData(65530, payloads);
    await until(() => p.received.length >= 16);
    expect(p.received.map((m) => m.length)).toEqual([...Array(15).fill(1472), 304]);
    const blocks = dataBlocks(p.received);
    // Block numbers roll over inside the one send.
    payloads.forEach((payload, i) => expect(blocks.get((65530 + i) & 0xffff)).toEqual([payload]));
  });

  it('sends block by block again, each block once, when the kernel refuses a segmented send', async () => {
    const p = await pair();
    close = p.close;
    expect(enableUdpSegmentation(p.sender, 1472)).toBeGreaterThan(1);
    // 60 segments of 1472 bytes exceed a UDP payload: the kernel answers EMSGSIZE.
    const refusals: Error[] = [];
    const sender = new DgramLink(p.sender, 1468, 60, (error) => refusals.push(error));
    const payloads = Array.from({ length: 60 }, () => randomBytes(1468));
    sender.sendData(1, payloads);
    await until(() => p.received.length >= 60);
    expect(refusals).toHaveLength(1);
    expect(sender.segmented).toBe(false);
    const blocks = dataBlocks(p.received);
    expect(blocks.size).toBe(60);
    payloads.forEach((payload, i) => expect(blocks.get(1 + i)).toEqual([payload]));
  });

  it('sends one datagram a block without segmentation', async () => {
    const p = await pair();
    close = p.close;
    const sender = new DgramLink(p.sender, 512, 1);
    sender.sendData(7, [randomBytes(512), randomBytes(10)]);
    await until(() => p.received.length >= 2);
    expect(p.received.map((m) => m.length)).toEqual([516, 14]);
  });
});
