/**
 * A value computed at most once every `maxAgeMs` and shared by every caller meanwhile (one load
 * at a time): the overview's figures, which every open dashboard polls; the terminal list's
 * choices, dropped as soon as a write commits.
 */
export class Fresh<T> {
  private value: Promise<T> | null = null;
  private at = -Infinity;

  constructor(
    private readonly maxAgeMs: number,
    private readonly load: () => Promise<T>,
  ) {}

  /** The next `get` loads again. */
  drop(): void {
    this.value = null;
  }

  get(): Promise<T> {
    const now = performance.now();
    if (this.value && now - this.at < this.maxAgeMs) return this.value;
    const loading = this.load();
    this.value = loading;
    this.at = now;
    loading.catch(() => {
      if (this.value === loading) this.value = null;
    });
    return loading;
  }
}
