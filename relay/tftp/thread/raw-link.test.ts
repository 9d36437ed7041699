import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { dataBlocks, udpReceiver, until } from '../../../test/relay/support/udp-receiver';
import { segmentsPerSend } from '../udp-segmentation';
import { RawLink } from './raw-link';
import { loadSyscalls, type Syscalls } from './syscalls';

describe.runIf(process.platform === 'linux')('RawLink on loopback', () => {
  const sys = loadSyscalls() as Syscalls;
  let close = () => {};
  afterEach(() => close());

  /** A receiver, and a raw socket connected to it with a link over it. */
  async function link(blksize: number, segments: number) {
    const receiver = await udpReceiver();
    const fd = sys.connectedUdpSocket('127.0.0.1', '127.0.0.1', receiver.port);
    expect(fd).toBeGreaterThanOrEqual(0);
    if (segments > 1) expect(sys.setUdpSegment(fd, blksize + 4)).toBe(true);
    const errors: string[] = [];
    const raw = new RawLink(sys, fd, blksize, segments, (detail) => errors.push(detail));
    close = () => {
      raw.close();
      receiver.close();
    };
    return { raw, receiver, errors };
  }

  it('sends a window as one segmented send that arrives as one DATA datagram a block, numbers rolling over', async () => {
    const { raw, receiver } = await link(1468, segmentsPerSend(1472));
    const payloads = [...Array.from({ length: 15 }, () => randomBytes(1468)), randomBytes(300)];
    raw.sendData(65530, payloads);
    await until(() => receiver.received.length >= 16);
    expect(receiver.received.map((m) => m.length)).toEqual([...Array(15).fill(1472), 304]);
    const blocks = dataBlocks(receiver.received);
    payloads.forEach((payload, i) => expect(blocks.get((65530 + i) & 0xffff)).toEqual([payload]));
    expect(raw.segmented).toBe(true);
  });

  it('sends block by block again, each block once, when the kernel refuses a segmented send', async () => {
    // 60 segments of 1472 bytes exceed a UDP payload: the kernel answers EMSGSIZE.
    const { raw, receiver, errors } = await link(1468, 60);
    const payloads = Array.from({ length: 60 }, () => randomBytes(1468));
    raw.sendData(1, payloads);
    await until(() => receiver.received.length >= 60);
    expect(raw.refused).toMatch(/too long/i);
    expect(raw.segmented).toBe(false);
    expect(errors).toEqual([]);
    const blocks = dataBlocks(receiver.received);
    expect(blocks.size).toBe(60);
    payloads.forEach((payload, i) => expect(blocks.get(1 + i)).toEqual([payload]));
  });

  it('sends one datagram a block in lock-step, and other packets as they are', async () => {
    const { raw, receiver } = await link(512, 1);
    raw.sendData(7, [randomBytes(512), randomBytes(10)]);
    raw.send(Buffer.from([0, 6, 0x61, 0]));
    await until(() => receiver.received.length >= 3);
    expect(receiver.received.map((m) => m.length)).toEqual([516, 14, 4]);
    expect(receiver.received[2]).toEqual(Buffer.from([0, 6, 0x61, 0]));
  });

  it('reports a client whose port has gone, and sends nothing after close', async () => {
    const { raw, receiver, errors } = await link(512, 1);
    receiver.close();
    close = () => raw.close();
    // The first send draws an ICMP port unreachable; a later one on the connected socket reports it.
    for (let i = 0; i < 5 && errors.length === 0; i++) {
      raw.sendData(1, [randomBytes(512)]);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(errors).toEqual(['client port unreachable']);
    raw.close();
    raw.sendData(2, [randomBytes(512)]);
    expect(errors).toHaveLength(1);
  });
});
