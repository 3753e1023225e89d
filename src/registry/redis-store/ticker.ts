/**
 * Runs `task` every `intervalMs` on an unref'd timer (it never keeps a process
 * alive), skipping a tick while the previous run is still going, so a slow
 * Redis never piles commands up. `task` must not reject.
 */
export class Ticker {
  readonly #intervalMs: number;
  readonly #task: () => Promise<void>;
  #timer: ReturnType<typeof setInterval> | undefined;
  #busy = false;

  constructor(intervalMs: number, task: () => Promise<void>) {
    this.#intervalMs = intervalMs;
    this.#task = task;
  }

  /** Starts ticking (the first run is one interval away); no-op when running. */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => {
      void this.#run();
    }, this.#intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async #run(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      await this.#task();
    } finally {
      this.#busy = false;
    }
  }
}
