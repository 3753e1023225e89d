import { integerOption } from '../internal/options.js';
import { TtlCache } from '../internal/ttl-cache.js';

/**
 * Remembers which events a group has handled, for `EventSubscriber`'s
 * `dedupe` option. Before running a handler the subscriber claims
 * `group:eventId` with a short lease (the subscription's `claimIdleMs`); after
 * success it completes the claim, kept for `ttlMs`; after a failure it
 * releases it so a retry can run. A claim another delivery holds is a
 * duplicate in progress (the same event published twice, handled elsewhere),
 * except on a redelivery (`deliveryCount` > 1): then the claim may be that of
 * this very message's earlier delivery, whose consumer crashed or lost its
 * connection (which is why the message came back), and the subscriber retakes
 * it (`retake`) rather than acknowledge an event nobody finished. Only a
 * completed claim is a duplicate for good: a crash never turns into a lost
 * event, at worst into a second run.
 *
 * The default is {@link MemoryDedupeStore} (one process only); a store shared
 * by every consumer of a group (Redis `SET key token NX PX leaseMs`) comes
 * with the Redis transport.
 *
 * @example
 * import type { DedupeStore } from 'switchboard';
 * const seen = new Set<string>();
 * const store: DedupeStore = {
 *   claim: async (key) => !seen.has(key) && Boolean(seen.add(key)),
 *   complete: async () => undefined,
 *   release: async (key) => void seen.delete(key),
 * };
 */
export type DedupeStore = {
  /**
   * Claims `key` for `leaseMs` while its handler runs; resolves `false` when it
   * is already handled, or claimed by another delivery (a duplicate). With
   * `retake`, a claim that is not completed is taken over (its holder is
   * presumed gone); only a completed one still resolves `false`. A store that
   * ignores `retake` keeps the older behaviour, where a redelivery that finds
   * its crashed predecessor's lease is acknowledged unhandled.
   */
  claim(key: string, leaseMs: number, options?: DedupeClaimOptions): Promise<boolean>;
  /** The handler succeeded: remember `key` as handled for `ttlMs`. */
  complete(key: string, ttlMs: number): Promise<void>;
  /** The handler failed: forget `key`, so a retry can handle the event. */
  release(key: string): Promise<void>;
};

/** Options of {@link DedupeStore.claim}. */
export type DedupeClaimOptions = {
  /**
   * Take over a claim that is not completed: the subscriber asks for it on a
   * redelivery, whose earlier delivery's consumer may have died holding it.
   * @default false
   */
  readonly retake?: boolean;
};

/**
 * An in-process {@link DedupeStore}: bounded (the least recently used claim is forgotten
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
  // Every entry carries its own TTL (a lease, or the dedupe window).
  readonly #entries: TtlCache<'claimed' | 'handled'>;

  /** @param options.maxEntries The most claims kept. @default 100_000 */
  constructor(options: { readonly maxEntries?: number } = {}) {
    this.#entries = new TtlCache(
      Infinity,
      integerOption('maxEntries', options.maxEntries ?? 100_000),
    );
  }

  claim(key: string, leaseMs: number, options: DedupeClaimOptions = {}): Promise<boolean> {
    const held = this.#entries.get(key);
    if (held === 'handled' || (held === 'claimed' && options.retake !== true)) {
      return Promise.resolve(false);
    }
    this.#entries.set(key, 'claimed', Date.now(), leaseMs);
    return Promise.resolve(true);
  }

  complete(key: string, ttlMs: number): Promise<void> {
    this.#entries.set(key, 'handled', Date.now(), ttlMs);
    return Promise.resolve();
  }

  release(key: string): Promise<void> {
    this.#entries.delete(key);
    return Promise.resolve();
  }

  /** Claims held (expired ones included until they are read or evicted). */
  get size(): number {
    return this.#entries.size;
  }
}
