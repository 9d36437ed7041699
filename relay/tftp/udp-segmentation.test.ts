import { createSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { enableUdpSegmentation, segmentRuns, segmentsPerSend } from './udp-segmentation';

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
