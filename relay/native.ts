import { createRequire } from 'node:module';

/**
 * A libc function through koffi's prebuilt FFI, for the few system calls Node does not offer
 * (setsockopt, sched_setaffinity). Linux only; null where FFI or the function is missing, and
 * callers then do without.
 */
export function libcFunction<F>(signature: string): F | null {
  if (process.platform !== 'linux') return null;
  try {
    const koffi = createRequire(import.meta.url)('koffi');
    // null: the symbols already loaded into the process, so glibc and musl alike.
    return koffi.load(null).func(signature) as F;
  } catch {
    return null;
  }
}
