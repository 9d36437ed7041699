import { createSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { enableUdpSegmentation, segmentsPerSend } from './udp-segmentation';

describe('segmentsPerSend', () => {
  it('fills one UDP payload with whole segments, 64 at most', () => {
    expect(segmentsPerSend(1472)).toBe(44);
    expect(segmentsPerSend(516)).toBe(64);
    expect(segmentsPerSend(65468)).toBe(1);
  });

  it('does not segment below a 512-byte block, so OACK and ERROR packets stay whole', () => {
    expect(segmentsPerSend(20)).toBe(1);
    expect(segmentsPerSend(515)).toBe(1);
  });
});

describe.runIf(process.platform === 'linux')('enableUdpSegmentation on Linux', () => {
  it('turns it on for a bound socket', async () => {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    expect(enableUdpSegmentation(socket, 1472)).toBe(44);
    socket.close();
  });

  it('answers 1 for a socket without a descriptor yet, or segments too small', async () => {
    const unbound = createSocket('udp4');
    expect(enableUdpSegmentation(unbound, 1472)).toBe(1);
    unbound.close();
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    expect(enableUdpSegmentation(socket, 20)).toBe(1);
    socket.close();
  });
});
