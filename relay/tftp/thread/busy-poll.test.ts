import { describe, expect, it } from 'vitest';
import { BUSY_POLL_MAX_TRANSFERS, BusyPoll } from './busy-poll';

/** Packets every gapUs µs from t = 0, n of them; answers the time of the last. */
function feed(poll: BusyPoll, gapUs: number, n: number, fromMs = 0): number {
  let t = fromMs;
  for (let i = 0; i < n; i++) {
    t = fromMs + (i * gapUs) / 1000;
    poll.onPackets(t);
  }
  return t;
}

describe('BusyPoll', () => {
  it('polls right after a packet while clients answer within the window', () => {
    const poll = new BusyPoll(100);
    const t = feed(poll, 40, 50);
    expect(poll.shouldPoll(t + 0.01, 1)).toBe(true);
    expect(poll.shouldPoll(t + 0.09, 1)).toBe(true);
  });

  it('sleeps once the window has passed without a packet', () => {
    const poll = new BusyPoll(100);
    const t = feed(poll, 40, 50);
    expect(poll.shouldPoll(t + 0.1, 1)).toBe(false);
  });

  it('does not poll for clients slower than the window', () => {
    const poll = new BusyPoll(100);
    const t = feed(poll, 400, 50);
    expect(poll.shouldPoll(t + 0.01, 1)).toBe(false);
  });

  it('learns that clients got slower', () => {
    const poll = new BusyPoll(100);
    const t = feed(poll, 400, 50, feed(poll, 40, 50) + 0.4);
    expect(poll.shouldPoll(t + 0.01, 1)).toBe(false);
  });

  it('leaves the cores to others when many transfers keep the thread busy, and polls for none', () => {
    const poll = new BusyPoll(100);
    const t = feed(poll, 40, 50);
    expect(poll.shouldPoll(t + 0.01, BUSY_POLL_MAX_TRANSFERS)).toBe(true);
    expect(poll.shouldPoll(t + 0.01, BUSY_POLL_MAX_TRANSFERS + 1)).toBe(false);
    expect(poll.shouldPoll(t + 0.01, 0)).toBe(false);
  });

  it('never polls when turned off', () => {
    const poll = new BusyPoll(0);
    const t = feed(poll, 10, 50);
    expect(poll.shouldPoll(t, 1)).toBe(false);
  });

  it('does not count an idle pause as a client answer time', () => {
    const poll = new BusyPoll(100);
    feed(poll, 40, 50);
    // A minute idle, then a new transfer's first packets.
    const t = feed(poll, 40, 2, 60_000);
    expect(poll.shouldPoll(t + 0.01, 1)).toBe(true);
  });
});
