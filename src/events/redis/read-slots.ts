/**
 * The handler slots a subscription's blocking reads may fill. A subscription
 * has one read loop per lane (one lane on a single Redis; on a cluster, one
 * per topic, since a read cannot span hash slots); each reserves a share of
 * the free slots before it blocks, so reads in flight together ask for no
 * more entries than the subscription can run. Every read asks for at least
 * one, so with more lanes than free slots up to `lanes − 1` entries may wait
 * in the process; like every held message, their leases are renewed.
 */
export class ReadSlots {
  readonly #free: () => number;
  readonly #lanes: number;
  #reserved = 0;
  #reading = 0;
  readonly #waiters = new Set<() => void>();

  /** @param free - slots neither running nor holding a buffered message. */
  constructor(free: () => number, lanes: number) {
    this.#free = free;
    this.#lanes = lanes;
  }

  /** Free slots no read in flight has reserved; a lane with none waits. */
  available(): number {
    return this.#free() - this.#reserved;
  }

  /**
   * Reserves this lane's share of what is available: all of it with one lane,
   * an even split between the lanes not reading otherwise. Give it back with
   * {@link release} once the read's entries are admitted.
   */
  take(): number {
    const idle = Math.max(1, this.#lanes - this.#reading);
    const share = Math.max(1, Math.floor(this.available() / idle));
    this.#reserved += share;
    this.#reading += 1;
    return share;
  }

  release(share: number): void {
    this.#reserved -= share;
    this.#reading -= 1;
    this.wake();
  }

  /** Resolves at the next {@link wake}: a slot freed, a reservation returned, a stop. */
  wait(): Promise<void> {
    return new Promise((resolve) => this.#waiters.add(resolve));
  }

  wake(): void {
    for (const resolve of this.#waiters) resolve();
    this.#waiters.clear();
  }
}
