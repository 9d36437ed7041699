/**
 * A wait on the network that ends only after the I/O already queued has run: when the timer fires,
 * the verdict waits for setImmediate, which comes after the event loop's poll phase. Hundreds of
 * terminals in one process keep it busy; an answer that reached the socket in time, while the
 * process was elsewhere, is then not taken for a lost one (a real terminal has its own CPU).
 */
export function deadline(ms: number, expire: () => void): { clear(): void } {
  let cleared = false;
  let immediate: NodeJS.Immediate | null = null;
  const timer = setTimeout(() => {
    immediate = setImmediate(() => {
      if (!cleared) expire();
    });
  }, ms);
  return {
    clear() {
      cleared = true;
      clearTimeout(timer);
      if (immediate) clearImmediate(immediate);
    },
  };
}
