import type { Cluster, Redis } from 'ioredis';
import { integerOption, invalidOption, timerOption } from '../../internal/options.js';
import type {
  RedisClusterConnection,
  RedisConnection,
  RedisSentinelConnection,
} from '../../internal/redis/connection.js';
import { silentLogger, type Logger } from '../../logger.js';
import type { EvictionPolicyMode } from './eviction-check.js';

/**
 * Options of {@link redisTransport}. Give one of `url`, `client`, `cluster`,
 * `sentinel`, or `redis` (which takes any of them, or ioredis options).
 *
 * @example
 * import { redisTransport } from 'switchboard';
 * const transport = redisTransport({ url: 'redis://127.0.0.1:6379', prefix: 'shop' });
 */
export type RedisTransportOptions = {
  /** A `redis://` or `rediss://` URL; the transport opens and closes its own connections. */
  readonly url?: string;
  /**
   * A client you already have. The transport uses it for commands and
   * `duplicate()`s it for each subscription's blocking reads; `close()` leaves
   * yours open.
   */
  readonly client?: Redis | Cluster;
  /** Anything {@link RedisConnection} accepts, when `url` and `client` are not enough. */
  readonly redis?: RedisConnection;
  /**
   * A Redis Cluster: startup nodes and ioredis `Cluster` options. Every key
   * of a topic shares its hash slot (the topic is the hash tag), topics
   * spread over the masters, and a subscription holds one blocking
   * connection per topic. See the README's "Scaling out".
   */
  readonly cluster?: RedisClusterConnection['cluster'];
  /** Redis behind Sentinel: the sentinels and the master's name; failovers are followed. */
  readonly sentinel?: RedisSentinelConnection['sentinel'];
  /**
   * Namespace of every key; services that talk to each other use the same
   * prefix. No whitespace or braces.
   * @default 'switchboard'
   */
  readonly prefix?: string;
  /**
   * Trims each topic's stream to about this many entries on publish
   * (`XADD … MAXLEN ~`). Off by default: trimming drops the oldest entries
   * whether or not every group has read them, so a group that falls further
   * behind than `maxLen` loses events. It is never silent: subscribers count
   * what their group lost and emit `trimmed` (see `EventSubscriberEvents`).
   * @default undefined (never trimmed)
   */
  readonly maxLen?: number;
  /**
   * How long one blocking read waits for new entries before it loops. Only
   * the idle cost: stopping interrupts a read at once.
   * @default 5_000
   */
  readonly blockMs?: number;
  /**
   * The longest a command (a publish, an acknowledgement, a dead-letter read)
   * waits, reconnection included, before it fails with a `TimeoutError`.
   * @default 10_000
   */
  readonly commandTimeoutMs?: number;
  /**
   * Dead letters kept per topic (approximately; the oldest go first).
   * @default 10_000
   */
  readonly deadLetterMaxLen?: number;
  /**
   * What the first durable subscription does when Redis's `maxmemory-policy`
   * is not `noeviction` (Redis may then evict a stream, and with it unread
   * and pending events, without anyone noticing): `'warn'` through the
   * logger, `'refuse'` (the subscription fails with a `TransportError`), or
   * `'ignore'` (no check). Where `CONFIG GET` is not allowed (managed Redis,
   * least-privilege ACL users) it warns that it could not check, in every mode
   * but `'ignore'`.
   * @default 'warn'
   */
  readonly evictionPolicy?: EvictionPolicyMode;
  /**
   * Where background trouble goes: a read that failed and will be retried, a
   * group re-created, an acknowledgement that had to wait.
   * @default silentLogger
   */
  readonly logger?: Logger;
};

/** The options with their defaults applied. */
export type ResolvedRedisOptions = {
  readonly connection: RedisConnection;
  readonly prefix: string;
  readonly maxLen: number | undefined;
  readonly blockMs: number;
  readonly commandTimeoutMs: number;
  readonly deadLetterMaxLen: number;
  readonly evictionPolicy: EvictionPolicyMode;
  readonly logger: Logger;
};

/** Names that end up inside keys: no whitespace, no braces (they would move the cluster hash tag). */
export const KEY_PART = /^[^\s{}]{1,200}$/;

/** Applies the defaults and validates, without touching the caller's object. */
export function resolveRedisOptions(options: RedisTransportOptions): ResolvedRedisOptions {
  const given = [
    options.url,
    options.client,
    options.redis,
    options.cluster === undefined ? undefined : { cluster: options.cluster },
    options.sentinel === undefined ? undefined : { sentinel: options.sentinel },
  ].filter((value) => value !== undefined);
  if (given.length !== 1) {
    invalidOption(
      'url',
      'give exactly one of `url`, `client`, `cluster`, `sentinel` or `redis`',
      TypeError,
    );
  }
  const prefix = options.prefix ?? 'switchboard';
  if (typeof prefix !== 'string' || !KEY_PART.test(prefix)) {
    invalidOption('prefix', 'expected 1–200 characters without whitespace or braces', TypeError);
  }
  return {
    connection: given[0] as RedisConnection,
    prefix,
    maxLen: options.maxLen === undefined ? undefined : integerOption('maxLen', options.maxLen),
    blockMs: timerOption('blockMs', options.blockMs ?? 5_000),
    commandTimeoutMs: timerOption('commandTimeoutMs', options.commandTimeoutMs ?? 10_000),
    deadLetterMaxLen: integerOption('deadLetterMaxLen', options.deadLetterMaxLen ?? 10_000),
    evictionPolicy: evictionMode(options.evictionPolicy),
    logger: options.logger ?? silentLogger,
  };
}

function evictionMode(mode: unknown): EvictionPolicyMode {
  // Checked at run time for JavaScript callers, whatever the type says.
  if (mode === undefined) return 'warn';
  if (mode === 'warn' || mode === 'refuse' || mode === 'ignore') return mode;
  return invalidOption('evictionPolicy', `expected 'warn', 'refuse' or 'ignore'`, TypeError);
}
