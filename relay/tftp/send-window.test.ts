import { describe, expect, it } from 'vitest';
import { blockCount, SendWindow } from './send-window';

describe('blockCount', () => {
  it('ends a file whose size is a multiple of the block size with an empty block', () => {
    expect(blockCount(1024, 512)).toBe(3);
    expect(blockCount(1000, 512)).toBe(2);
    expect(blockCount(0, 512)).toBe(1);
  });
});

describe('SendWindow', () => {
  it('walks lock-step and ignores repeated ACKs (no Sorcerer’s Apprentice)', () => {
    const w = new SendWindow(3, 1);
    expect(w.start()).toEqual({ action: 'send', from: 1, to: 1, rewound: false });
    expect(w.onAck(1)).toEqual({ action: 'send', from: 2, to: 2, rewound: false });
    expect(w.onAck(1)).toEqual({ action: 'ignore' });
    expect(w.onAck(2)).toEqual({ action: 'send', from: 3, to: 3, rewound: false });
    expect(w.onAck(3)).toEqual({ action: 'done' });
  });

  it('ignores ACKs for blocks not yet sent', () => {
    const w = new SendWindow(10, 1);
    w.start();
    expect(w.onAck(5)).toEqual({ action: 'ignore' });
  });

  it('sends windows and rewinds to the block after a partial or repeated ACK', () => {
    const w = new SendWindow(40, 16);
    expect(w.start()).toEqual({ action: 'send', from: 1, to: 16, rewound: false });
    expect(w.onAck(16)).toEqual({ action: 'send', from: 17, to: 32, rewound: false });
    expect(w.onAck(20)).toEqual({ action: 'send', from: 21, to: 36, rewound: true });
    expect(w.onAck(20)).toEqual({ action: 'send', from: 21, to: 36, rewound: true });
    expect(w.onTimeout()).toEqual({ action: 'send', from: 21, to: 36, rewound: true });
    expect(w.onAck(36)).toEqual({ action: 'send', from: 37, to: 40, rewound: false });
    expect(w.onAck(40)).toEqual({ action: 'done' });
  });

  it('rolls block numbers over past 65535', () => {
    const total = 70000;
    const w = new SendWindow(total, 8);
    let step = w.start();
    let acks = 0;
    while (step.action === 'send') {
      step = w.onAck(step.to & 0xffff);
      acks++;
    }
    expect(step).toEqual({ action: 'done' });
    expect(acks).toBe(Math.ceil(total / 8));
  });

  it('resolves a wrapped ACK to the block in flight', () => {
    const v = new SendWindow(70000, 4);
    let step = v.start();
    while (step.action === 'send' && step.to < 65534) step = v.onAck(step.to & 0xffff);
    expect(step).toMatchObject({ from: 65533, to: 65536 });
    expect(v.onAck(0)).toEqual({ action: 'send', from: 65537, to: 65540, rewound: false });
    expect(v.onAck(65535)).toEqual({ action: 'ignore' });
  });
});
