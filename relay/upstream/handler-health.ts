/**
 * What the relay knows about each handler: up or down (with hysteresis), a smoothed round-trip
 * time, and whether it refused to serve boots. Pure: the time is handed in.
 */
export interface HandlerHealth {
  url: string;
  up: boolean;
  /** Smoothed round-trip time in ms (TCP-style, gain 1/8); null before the first answer. */
  srttMs: number | null;
  failuresInRow: number;
  successesInRow: number;
  /** Until when (epoch ms) the handler is skipped because it refused boots. */
  refusedUntil: number;
  lastError: string | null;
}

export interface Hysteresis {
  downAfter: number;
  upAfter: number;
}

export function initialHealth(url: string): HandlerHealth {
  // Optimistic: a relay that just started tries its handlers before it has probed them.
  return { url, up: true, srttMs: null, failuresInRow: 0, successesInRow: 0, refusedUntil: 0, lastError: null };
}

export function recordSuccess(h: HandlerHealth, rttMs: number, rules: Hysteresis): HandlerHealth {
  const successesInRow = h.successesInRow + 1;
  const srttMs = h.srttMs === null ? rttMs : h.srttMs + (rttMs - h.srttMs) / 8;
  return { ...h, srttMs, successesInRow, failuresInRow: 0, up: h.up || successesInRow >= rules.upAfter, lastError: null };
}

export function recordFailure(h: HandlerHealth, error: string, rules: Hysteresis): HandlerHealth {
  const failuresInRow = h.failuresInRow + 1;
  return { ...h, failuresInRow, successesInRow: 0, up: h.up && failuresInRow < rules.downAfter, lastError: error };
}

/** The handler answered 403 redundancy_not_licensed: it will not serve boots for a while. */
export function recordRefusal(h: HandlerHealth, now: number, cooldownMs: number, reason: string): HandlerHealth {
  return { ...h, refusedUntil: now + cooldownMs, lastError: reason };
}

export function healthyForBoots(h: HandlerHealth, now: number): boolean {
  return h.up && h.refusedUntil <= now;
}

const bySpeed = (a: HandlerHealth, b: HandlerHealth) => (a.srttMs ?? Infinity) - (b.srttMs ?? Infinity);

/**
 * The order in which to try handlers for one request: healthy ones fastest first, then, as a
 * last resort before the disk cache, those marked down (they may have just come back).
 * Handlers refusing boots are left out.
 */
export function pickHealthyHandler(all: readonly HandlerHealth[], now: number): string[] {
  const usable = all.filter((h) => h.refusedUntil <= now);
  const healthy = usable.filter((h) => h.up).sort(bySpeed);
  const down = usable.filter((h) => !h.up).sort(bySpeed);
  return [...healthy, ...down].map((h) => h.url);
}
