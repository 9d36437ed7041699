import { libcFunction } from './native';

type SchedSetAffinity = (tid: number, size: number, mask: Uint8Array) => number;
let setAffinity: SchedSetAffinity | null | undefined;

/**
 * Keeps the calling thread (a worker's event loop) on one core. A worker that stays put keeps its
 * sockets, its packets and the clients it wakes on one core's cache, and its wake-ups local; the
 * scheduler otherwise moves workers between cores under load. Answers whether it took effect.
 */
export function pinToCpu(cpu: number): boolean {
  if (setAffinity === undefined) setAffinity = libcFunction<SchedSetAffinity>('int sched_setaffinity(int tid, size_t size, _In_ uint8_t *mask)');
  if (!setAffinity || cpu < 0 || cpu >= 1024) return false;
  const mask = new Uint8Array(128);
  mask[cpu >> 3] = 1 << (cpu & 7);
  return setAffinity(0, mask.length, mask) === 0;
}
