/** A listener for one event of a {@link TypedEmitter}. */
export type Listener<T> = (payload: T) => void;

/**
 * A minimal typed event emitter: `on` returns its own unsubscribe function, an
 * event with no listener costs one property read, and a throwing listener
 * never breaks the emitter. Its error is rethrown on a later tick (as Node's
 * `EventTarget` does), so a bug in a metrics hook is loud but cannot change a
 * breaker's decision.
 */
export class TypedEmitter<Events extends Record<string, unknown>> {
  readonly #listeners = new Map<keyof Events, Set<Listener<never>>>();

  on<K extends keyof Events>(name: K, listener: Listener<Events[K]>): () => void {
    const set = (this.#listeners.get(name) ?? new Set()) as Set<Listener<Events[K]>>;
    this.#listeners.set(name, set);
    // Wrap so the same function subscribed twice gets two independent subscriptions.
    const entry: Listener<Events[K]> = (payload) => {
      listener(payload);
    };
    set.add(entry);
    return () => {
      set.delete(entry);
    };
  }

  /** True when `name` has at least one listener; lets callers skip building payloads. */
  has(name: keyof Events): boolean {
    const set = this.#listeners.get(name);
    return set !== undefined && set.size > 0;
  }

  emit<K extends keyof Events>(name: K, payload: Events[K]): void {
    const set = this.#listeners.get(name) as Set<Listener<Events[K]>> | undefined;
    if (set === undefined || set.size === 0) return;
    for (const listener of set) {
      try {
        listener(payload);
      } catch (error) {
        process.nextTick(() => {
          throw error;
        });
      }
    }
  }

  /** Drops every listener (used by `close()`). */
  clear(): void {
    this.#listeners.clear();
  }
}
