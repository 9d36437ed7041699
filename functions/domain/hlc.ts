/**
 * Hybrid logical clock (Kulkarni et al., 2014): physical milliseconds plus a
 * counter for events within one millisecond (or while the physical clock lags
 * behind a clock already seen), plus the node that made the stamp. A stamp is
 * always later than every stamp its node has made or received, however the wall
 * clocks of the two servers drift.
 *
 * Stamps travel and are stored as fixed-width text (`000001795588055366-000000-primary`)
 * so that text order is clock order for the wall and counter parts.
 */
export interface Hlc {
  /** Physical milliseconds since the epoch. */
  wall: number;
  counter: number;
  node: string;
}

const WALL_DIGITS = 18;
const COUNTER_DIGITS = 6;
const MAX_COUNTER = 10 ** COUNTER_DIGITS - 1;
const PATTERN = /^(\d{18})-(\d{6})-(.+)$/;

export function formatHlc(h: Hlc): string {
  return `${String(h.wall).padStart(WALL_DIGITS, '0')}-${String(h.counter).padStart(COUNTER_DIGITS, '0')}-${h.node}`;
}

export function parseHlc(text: string): Hlc {
  const m = PATTERN.exec(text);
  if (!m) throw new Error(`"${text}" is not a hybrid logical clock stamp`);
  return { wall: Number(m[1]), counter: Number(m[2]), node: m[3] };
}

/** Orders by wall, then counter, then node: a total order on stamps. */
export function compareHlc(a: Hlc, b: Hlc): number {
  if (a.wall !== b.wall) return a.wall < b.wall ? -1 : 1;
  if (a.counter !== b.counter) return a.counter < b.counter ? -1 : 1;
  return a.node < b.node ? -1 : a.node > b.node ? 1 : 0;
}

/** A counter that would overflow its digits moves the clock on by one millisecond instead. */
function normalise(wall: number, counter: number, node: string): Hlc {
  return counter > MAX_COUNTER ? { wall: wall + 1, counter: 0, node } : { wall, counter, node };
}

/** The stamp of a local event (a write), after the latest stamp this node knows (`last`). */
export function tickHlc(last: Hlc | null, physicalMs: number, node: string): Hlc {
  const physical = Math.floor(physicalMs);
  if (!last || physical > last.wall) return { wall: physical, counter: 0, node };
  return normalise(last.wall, last.counter + 1, node);
}

/** The stamp on receiving a remote stamp: later than both the local clock and the remote one. */
export function receiveHlc(local: Hlc | null, remote: Hlc, physicalMs: number, node: string): Hlc {
  const physical = Math.floor(physicalMs);
  const localWall = local?.wall ?? -1;
  const wall = Math.max(localWall, remote.wall, physical);
  if (wall === localWall && wall === remote.wall) return normalise(wall, Math.max(local!.counter, remote.counter) + 1, node);
  if (wall === localWall) return normalise(wall, local!.counter + 1, node);
  if (wall === remote.wall) return normalise(wall, remote.counter + 1, node);
  return { wall, counter: 0, node };
}

/** The later of two stamps (either may be missing). */
export function maxHlc(a: Hlc | null, b: Hlc | null): Hlc | null {
  if (!a) return b;
  if (!b) return a;
  return compareHlc(a, b) >= 0 ? a : b;
}
