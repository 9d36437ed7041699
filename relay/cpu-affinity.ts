import { libcFunction } from './native';

type SchedAffinity = (tid: number, size: number, mask: Uint8Array) => number;
let setAffinity: SchedAffinity | null | undefined;
let getAffinity: SchedAffinity | null | undefined;
const MASK_BYTES = 128;

/**
 * Keeps the calling thread (a worker's event loop, a transfer thread) on one core. A thread that
 * stays put keeps its sockets, its packets and the clients it wakes on one core's cache, and its
 * wake-ups local; the scheduler otherwise moves threads between cores under load. Answers whether
 * it took effect.
 */
export function pinToCpu(cpu: number): boolean {
  if (setAffinity === undefined) setAffinity = libcFunction<SchedAffinity>('int sched_setaffinity(int tid, size_t size, _In_ uint8_t *mask)');
  if (!setAffinity || cpu < 0 || cpu >= MASK_BYTES * 8) return false;
  const mask = new Uint8Array(MASK_BYTES);
  mask[cpu >> 3] = 1 << (cpu & 7);
  return setAffinity(0, mask.length, mask) === 0;
}

/** The cores the calling thread may run on (its affinity mask, which a cpuset or taskset narrows), or null where that cannot be read. */
export function allowedCpus(): number[] | null {
  if (getAffinity === undefined) getAffinity = libcFunction<SchedAffinity>('int sched_getaffinity(int tid, size_t size, _Out_ uint8_t *mask)');
  if (!getAffinity) return null;
  const mask = new Uint8Array(MASK_BYTES);
  if (getAffinity(0, mask.length, mask) !== 0) return null;
  const cpus: number[] = [];
  for (let cpu = 0; cpu < MASK_BYTES * 8; cpu++) if (mask[cpu >> 3] & (1 << (cpu & 7))) cpus.push(cpu);
  return cpus;
}
