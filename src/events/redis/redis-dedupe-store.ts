import { randomUUID } from 'node:crypto';
import type { DedupeClaimOptions, DedupeStore } from '../dedupe.js';
import type { RedisKeys } from './keys.js';
import type { RedisLink } from './redis-link.js';

/** What a completed claim holds. */
const HANDLED = 'handled';

/**
 * Claims a key for a lease, with a token only this claim knows: `SET NX PX`,
 * or, when the key is set already, whether it holds this very token. ioredis
 * resends a command whose reply was lost with its connection; the second run
 * of a claim that reached Redis the first time finds its own token and is
 * still granted, where a plain `SET NX` would call the consumer's own claim a
 * duplicate and its event would be acknowledged without its handler. With
 * `retake`, a claim that is not completed (`handled`) is taken over.
 * KEYS[1] the key; ARGV[1] the token, ARGV[2] the lease in ms, ARGV[3] '1' to retake.
 */
const CLAIM = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
local held = redis.call('GET', KEYS[1])
if held == ARGV[1] then return 1 end
if ARGV[3] == '1' and held ~= '${HANDLED}' then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0`;

/**
 * A {@link DedupeStore} every consumer of a group shares: `SET key NX PX` on
 * the transport's Redis, so an event handled by one process is not handled
 * again by another (a duplicate publish, a redelivery after an ack was lost).
 * Keys: `<prefix>:dedupe:<group>:<event id>`, holding `claimed:<token>` while
 * a handler runs and `handled` after; they expire on their own.
 */
export class RedisDedupeStore implements DedupeStore {
  readonly #link: RedisLink;
  readonly #keys: RedisKeys;

  constructor(link: RedisLink, keys: RedisKeys) {
    this.#link = link;
    this.#keys = keys;
  }

  async claim(key: string, leaseMs: number, options: DedupeClaimOptions = {}): Promise<boolean> {
    const reply = await this.#link.call('claim an event id', [
      'EVAL',
      CLAIM,
      1,
      this.#keys.dedupe(key),
      `claimed:${randomUUID()}`,
      Math.max(1, Math.ceil(leaseMs)),
      options.retake === true ? '1' : '0',
    ]);
    return Number(reply) === 1;
  }

  async complete(key: string, ttlMs: number): Promise<void> {
    await this.#link.call('remember a handled event id', [
      'SET',
      this.#keys.dedupe(key),
      HANDLED,
      'PX',
      Math.max(1, Math.ceil(ttlMs)),
    ]);
  }

  async release(key: string): Promise<void> {
    await this.#link.call('release an event id', ['DEL', this.#keys.dedupe(key)]);
  }
}
