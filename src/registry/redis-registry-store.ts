import { throwIfAborted } from '../internal/abort.js';
import { integerOption, invalidOption, nameOption } from '../internal/options.js';
import { silentLogger, type Logger } from '../logger.js';
import type { RegistryStore } from './registry-store.js';
import type { RedisConnection } from '../internal/redis/connection.js';
import { RedisRegistryStore, type Settings } from './redis-store/store.js';

/**
 * Options of {@link redisRegistryStore}; all optional.
 *
 * @example
 * import { redisRegistryStore } from 'switchboard';
 * const store = redisRegistryStore('redis://127.0.0.1:6379', { prefix: 'shop', ttlMs: 10_000 });
 */
export type RedisRegistryStoreOptions = {
  /**
   * Namespace of the keys and channel; processes that should see each other
   * use the same prefix.
   * @default 'switchboard'
   */
  readonly prefix?: string;
  /**
   * How long an instance stays listed without a heartbeat: a crashed process
   * disappears from other processes' view within `ttlMs + pollMs`. Also the
   * bound on each Redis round trip.
   * @default 15_000
   */
  readonly ttlMs?: number;
  /**
   * How often local instances are refreshed; must be below `ttlMs`.
   * @default ttlMs / 3 (two heartbeats may be lost before an instance expires)
   */
  readonly heartbeatMs?: number;
  /**
   * How often watchers read the full set even without a change notification,
   * which bounds staleness when a notification is lost.
   * @default ttlMs / 3
   */
  readonly pollMs?: number;
  /**
   * Where background failures (heartbeat, poll, subscribe) and skipped
   * malformed records are reported; they are never thrown.
   * @default silentLogger
   */
  readonly logger?: Logger;
  /** Closes the store when aborted (the same as calling `close()`). */
  readonly signal?: AbortSignal;
};

/**
 * A {@link RegistryStore} on Redis, for discovery across processes: each
 * process announces its instances with a heartbeat that keeps a TTL alive, and
 * sees every other process's instances appear and disappear — at once on a
 * clean `withdraw()`/`close()` (pub/sub), within `ttlMs + pollMs` of a crash.
 *
 * - Keys (hash-tagged, so Redis Cluster works): `<prefix>:{registry}:instances`
 *   (HASH id → JSON), `<prefix>:{registry}:expiry` (ZSET id → expiry) and the
 *   channel `<prefix>:{registry}:changes`. Expiry is computed from the Redis
 *   server's clock, so processes with skewed clocks agree.
 * - Heartbeats rewrite the whole record, so a Redis restarted without
 *   persistence is healed by the next heartbeat; failures are logged and
 *   retried, never thrown. Timers are unref'd.
 * - `announce()` keeps the record even when its write fails (the heartbeat
 *   retries it); `withdraw()` it to give up.
 * - Each Redis round trip is bounded by `ttlMs`; `close()` by
 *   `min(ttlMs, 2 s)` per step. `close()` quits the subscriber connection and
 *   the main one only if the store created it from a URL or options.
 * - Ids must be unique per instance: two processes announcing one id share
 *   one entry, and either's withdraw removes it.
 *
 * Needs Redis ≥ 5 (scripts that read TIME before writing).
 *
 * @param redis A URL, ioredis options, or an ioredis `Redis`/`Cluster` you own.
 * @throws `TypeError`/`RangeError` for invalid options (before connecting).
 * @example
 * import { redisRegistryStore } from 'switchboard';
 * const store = redisRegistryStore('redis://127.0.0.1:6379', { ttlMs: 15_000 });
 * await store.announce({ id: 'auth-1', name: 'auth', baseUrl: 'http://10.0.0.5:8001', metadata: {} });
 * const stop = store.watch((records) => console.log(records.map((r) => r.baseUrl)));
 * // ... on shutdown:
 * stop();
 * await store.close();
 */
export function redisRegistryStore(
  redis: RedisConnection,
  options: RedisRegistryStoreOptions = {},
): RegistryStore {
  const settings = resolveOptions(options);
  throwIfAborted(settings.signal);
  return new RedisRegistryStore(redis, settings);
}

function resolveOptions(options: RedisRegistryStoreOptions): Settings {
  const prefix = nameOption('prefix', options.prefix ?? 'switchboard');
  const ttlMs = integerOption('ttlMs', options.ttlMs ?? 15_000, 2);
  const third = Math.max(1, Math.floor(ttlMs / 3));
  const heartbeatMs = integerOption('heartbeatMs', options.heartbeatMs ?? third);
  if (heartbeatMs >= ttlMs) {
    invalidOption('heartbeatMs', `must be below ttlMs (${ttlMs}), got ${heartbeatMs}`);
  }
  const pollMs = integerOption('pollMs', options.pollMs ?? third);
  const logger = options.logger ?? silentLogger;
  for (const level of ['debug', 'info', 'warn', 'error'] as const) {
    if (typeof (logger as Partial<Logger>)[level] !== 'function') {
      invalidOption(`logger.${level}`, 'expected a function', TypeError);
    }
  }
  const { signal } = options;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    invalidOption('signal', 'expected an AbortSignal', TypeError);
  }
  return { prefix, ttlMs, heartbeatMs, pollMs, logger, signal };
}
