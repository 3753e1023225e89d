/**
 * Background timers owned by one object (retry backoffs, claims of abandoned
 * messages): unref'd, so they never keep a process alive, and all
 * cleared by `close()`.
 */
export class TimerSet {
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();

  /** Runs `fn` after `ms`, unless {@link clear} comes first. */
  after(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      fn();
    }, ms);
    timer.unref();
    this.#timers.add(timer);
  }

  clear(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }
}
