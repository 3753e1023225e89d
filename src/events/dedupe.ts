import { integerOption } from '../internal/options.js';

/**
 * Remembers which events a group has handled, for `EventSubscriber`'s
 * `dedupe` option. The subscriber claims `group:eventId` before running a
 * handler, and releases the claim when the handler fails so a retry can run it.
 *
 * The default is {@link MemoryDedupeStore} (one process only); a store shared
 * by every consumer of a group (Redis `SET key 1 NX PX ttlMs`) comes with the
 * Redis transport.
 *
 * @example
 * import type { DedupeStore } from 'switchboard';
 * const seen = new Set<string>();
 * const store: DedupeStore = {
 *   claim: async (key) => !seen.has(key) && Boolean(seen.add(key)),
 *   release: async (key) => void seen.delete(key),
 * };
 */
export type DedupeStore = {
  /** Marks `key` as handled for `ttlMs`; resolves `false` when it already was (a duplicate). */
  claim(key: string, ttlMs: number): Promise<boolean>;
  /** Forgets `key`, so the event can be handled again. */
  release(key: string): Promise<void>;
};

/**
 * An in-process {@link DedupeStore}: bounded (the oldest claim is forgotten
 * first when full), entries expire after their TTL, no timers.
 *
 * @example
 * import { EventBus, EventSubscriber, MemoryDedupeStore, memoryTransport } from 'switchboard';
 * const bus = new EventBus({ source: 'mailer', transport: memoryTransport() });
 * new EventSubscriber(bus, {
 *   group: 'mailer',
 *   dedupe: { ttlMs: 60_000, store: new MemoryDedupeStore({ maxEntries: 1_000 }) },
 * });
 */
export class MemoryDedupeStore implements DedupeStore {
  readonly #expiries = new Map<string, number>();
  readonly #maxEntries: number;

  /** @param options.maxEntries The most claims kept. @default 100_000 */
  constructor(options: { readonly maxEntries?: number } = {}) {
    this.#maxEntries = integerOption('maxEntries', options.maxEntries ?? 100_000);
  }

  claim(key: string, ttlMs: number): Promise<boolean> {
    const now = Date.now();
    const expiresAt = this.#expiries.get(key);
    if (expiresAt !== undefined && expiresAt > now) return Promise.resolve(false);
    this.#expiries.delete(key);
    while (this.#expiries.size >= this.#maxEntries) {
      const oldest = this.#expiries.keys().next();
      if (oldest.done === true) break;
      this.#expiries.delete(oldest.value);
    }
    this.#expiries.set(key, now + ttlMs);
    return Promise.resolve(true);
  }

  release(key: string): Promise<void> {
    this.#expiries.delete(key);
    return Promise.resolve();
  }

  /** Claims held (expired ones included until they are evicted). */
  get size(): number {
    return this.#expiries.size;
  }
}
