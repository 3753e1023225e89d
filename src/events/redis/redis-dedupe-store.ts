import type { DedupeStore } from '../dedupe.js';
import type { RedisKeys } from './keys.js';
import type { RedisLink } from './redis-link.js';

/**
 * A {@link DedupeStore} every consumer of a group shares: `SET key NX PX` on
 * the transport's Redis, so an event handled by one process is not handled
 * again by another (a duplicate publish, a redelivery after an ack was lost).
 * Keys: `<prefix>:dedupe:<group>:<event id>`; they expire on their own.
 */
export class RedisDedupeStore implements DedupeStore {
  readonly #link: RedisLink;
  readonly #keys: RedisKeys;

  constructor(link: RedisLink, keys: RedisKeys) {
    this.#link = link;
    this.#keys = keys;
  }

  async claim(key: string, leaseMs: number): Promise<boolean> {
    const reply = await this.#link.call('claim an event id', [
      'SET',
      this.#keys.dedupe(key),
      'claimed',
      'NX',
      'PX',
      Math.max(1, Math.ceil(leaseMs)),
    ]);
    return reply === 'OK';
  }

  async complete(key: string, ttlMs: number): Promise<void> {
    await this.#link.call('remember a handled event id', [
      'SET',
      this.#keys.dedupe(key),
      'handled',
      'PX',
      Math.max(1, Math.ceil(ttlMs)),
    ]);
  }

  async release(key: string): Promise<void> {
    await this.#link.call('release an event id', ['DEL', this.#keys.dedupe(key)]);
  }
}
