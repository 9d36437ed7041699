import { describe, expect, it } from 'vitest';
import { initialHealth, pickHealthyHandler, recordFailure, recordRefusal, recordSuccess } from './handler-health';

const rules = { downAfter: 2, upAfter: 2 };

describe('handler health', () => {
  it('smooths the round-trip time', () => {
    let h = recordSuccess(initialHealth('a'), 80, rules);
    expect(h.srttMs).toBe(80);
    h = recordSuccess(h, 0, rules);
    expect(h.srttMs).toBe(70);
  });

  it('does not mark a handler down for one failure (hysteresis)', () => {
    let h = recordFailure(initialHealth('a'), 'timeout', rules);
    expect(h.up).toBe(true);
    h = recordSuccess(h, 5, rules);
    h = recordFailure(h, 'timeout', rules);
    expect(h.up).toBe(true);
    h = recordFailure(h, 'timeout', rules);
    expect(h.up).toBe(false);
  });

  it('needs several good answers before a down handler is up again', () => {
    let h = recordFailure(recordFailure(initialHealth('a'), 'x', rules), 'x', rules);
    h = recordSuccess(h, 5, rules);
    expect(h.up).toBe(false);
    h = recordSuccess(h, 5, rules);
    expect(h.up).toBe(true);
  });
});

describe('pickHealthyHandler', () => {
  const fast = recordSuccess(initialHealth('fast'), 2, rules);
  const slow = recordSuccess(initialHealth('slow'), 20, rules);
  const down = recordFailure(recordFailure(recordSuccess(initialHealth('down'), 1, rules), 'x', rules), 'x', rules);

  it('tries the fastest healthy handler first and down ones last', () => {
    expect(pickHealthyHandler([slow, down, fast], 0)).toEqual(['fast', 'slow', 'down']);
  });

  it('puts handlers not yet measured after measured ones', () => {
    expect(pickHealthyHandler([initialHealth('new'), slow], 0)).toEqual(['slow', 'new']);
  });

  it('skips a handler that refused boots until its cool-down ends', () => {
    const refused = recordRefusal(fast, 1000, 500, 'redundancy_not_licensed');
    expect(pickHealthyHandler([refused, slow], 1200)).toEqual(['slow']);
    expect(pickHealthyHandler([refused, slow], 1500)).toEqual(['fast', 'slow']);
  });
});
