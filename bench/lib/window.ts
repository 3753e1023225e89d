/** Counts handler calls and wakes whoever waits for a count. */
export class Counter {
  received = 0;
  #target = Infinity;
  #wake: (() => void) | undefined;

  hit(): void {
    if (++this.received >= this.#target) this.#wake?.();
  }

  /** Resolves once `count` calls have been counted. */
  reached(count: number): Promise<void> {
    if (this.received >= count) return Promise.resolve();
    this.#target = count;
    return new Promise((resolve) => {
      this.#wake = resolve;
    });
  }
}

/**
 * Publishes events `from` … `to - 1` in windows of `window`, waiting after
 * each window for its publishes and until `counter` saw all of its handlers
 * run: a closed loop, so no bus queues more than one window. `publish`
 * returns nothing when it is synchronous (mitt), so it is not charged for a
 * promise it does not make.
 */
export async function publishInWindows(
  publish: (index: number) => Promise<unknown> | undefined,
  counter: Counter,
  { from, to, window }: { from: number; to: number; window: number },
): Promise<void> {
  const sends: Promise<unknown>[] = [];
  for (let next = from; next < to;) {
    const end = Math.min(to, next + window);
    for (; next < end; next++) {
      const sent = publish(next);
      if (sent !== undefined) sends.push(sent);
    }
    await Promise.all(sends);
    sends.length = 0;
    await counter.reached(end);
  }
}
