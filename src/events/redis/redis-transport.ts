import { ClosedError, NotReplicatedError, TransportError } from '../../errors.js';
import { Cluster } from 'ioredis';
import { integerOption, invalidOption, nameOption, timerOption } from '../../internal/options.js';
import type { DedupeStore } from '../dedupe.js';
import { validateSpec, type MessageIdFormat } from '../subscription-spec.js';
import type {
  EventTransport,
  MessageHandler,
  PublishDurability,
  SubscriptionSpec,
  TransportHealth,
  TransportSubscription,
} from '../transport.js';
import { BroadcastSubscription } from './broadcast-subscription.js';
import { checkEvictionPolicy } from './eviction-check.js';
import { DurableSubscription } from './durable-subscription.js';
import { PAYLOAD_FIELD, RedisKeys } from './keys.js';
import { RedisDeadLetters } from './redis-dead-letters.js';
import { RedisDedupeStore } from './redis-dedupe-store.js';
import { publishBatch } from './publish-script.js';
import { RedisLink, type Command } from './redis-link.js';
import {
  KEY_PART,
  resolveRedisOptions,
  type RedisTransportOptions,
  type ResolvedRedisOptions,
} from './redis-options.js';

const STREAM_IDS: MessageIdFormat = {
  pattern: /^\d+(-\d+)?$/,
  description: 'a Redis stream id (`<ms>-<seq>`)',
};

/**
 * The durable {@link EventTransport}: Redis Streams, on ioredis.
 *
 * - Each topic is a stream (`<prefix>:events:{<topic>}`); publishing is one
 *   `XADD`, resolved once Redis holds the entry (as durable as the server's
 *   persistence settings make it: use `appendonly yes` for events you cannot
 *   lose).
 * - Durable subscriptions are consumer groups: each group gets each event at
 *   least once, spread over its consumers; acknowledged after the handler
 *   succeeds; retried with backoff without blocking later events;
 *   dead-lettered after `maxDeliveries`; taken over `claimIdleMs` after a
 *   consumer died, never while it lives (leases are renewed).
 * - Broadcast subscriptions read the same streams without a group: every live
 *   subscriber gets each event, best effort.
 * - Dead letters are kept in Redis and can be listed, redriven and deleted.
 * - `dedupeStore()` gives a dedupe store shared by every process of a group.
 *
 * See the README's "Guarantees" for what is and is not promised.
 *
 * @param options - see {@link RedisTransportOptions}; one of `url`, `client` or `redis` is required.
 * @throws {TypeError | RangeError} at once for an invalid option.
 *
 * @example
 * import { EventBus, redisTransport } from 'switchboard';
 * const bus = new EventBus({
 *   source: 'product-service',
 *   transport: redisTransport({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' }),
 * });
 * await bus.close();
 */
export function redisTransport(options: RedisTransportOptions): EventTransport {
  return new RedisTransport(resolveRedisOptions(options));
}

class RedisTransport implements EventTransport {
  readonly kind = 'redis';
  readonly deadLetters: RedisDeadLetters;
  readonly #options: ResolvedRedisOptions;
  readonly #keys: RedisKeys;
  readonly #link: RedisLink;
  readonly #subscriptions = new Set<TransportSubscription>();
  /** The eviction check, once per transport; forgotten after a refusal, so a fixed Redis is seen. */
  #evictionChecked: Promise<void> | undefined;
  #closing: Promise<void> | undefined;

  constructor(options: ResolvedRedisOptions) {
    this.#options = options;
    this.#keys = new RedisKeys(options.prefix);
    this.#link = new RedisLink(options);
    this.deadLetters = new RedisDeadLetters(this.#link, this.#keys, (operation) => {
      this.#checkOpen(operation);
    });
  }

  // Not an async function: one promise less on the hot path of every publish.
  publish(
    topic: string,
    payload: string,
    options: { readonly signal?: AbortSignal; readonly durability?: PublishDurability } = {},
  ): Promise<string> {
    const { signal, durability } = options;
    let command: Command;
    try {
      this.#checkOpen('publish');
      command = this.#xadd(topic, payload);
    } catch (error) {
      // Bad input rejects like everything else, never throws at the caller.
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      return Promise.reject(error);
    }
    // XADD replies with the new entry's id, a string.
    if (durability === undefined)
      return this.#link.call('publish', command, signal) as Promise<string>;
    return this.#publishReplicated(topic, command, durability, signal);
  }

  async #publishReplicated(
    topic: string,
    command: Command,
    durability: PublishDurability,
    signal: AbortSignal | undefined,
  ): Promise<string> {
    const replicas = integerOption('durability.replicas', durability.replicas);
    const timeoutMs = timerOption('durability.timeoutMs', durability.timeoutMs);
    // WAIT counts the replicas that have what this connection wrote: it must
    // follow the XADD on the same connection, which a pipeline guarantees (on
    // a cluster, the keyless WAIT goes to the node of the XADD's key).
    const [id, acknowledged] = await this.#link.pipeline(
      'publish',
      [command, ['WAIT', replicas, timeoutMs]],
      signal,
    );
    if (Number(acknowledged) < replicas) {
      throw new NotReplicatedError(topic, String(id), replicas, Number(acknowledged));
    }
    return String(id);
  }

  async publishMany(
    messages: readonly { readonly topic: string; readonly payload: string }[],
    options: { readonly signal?: AbortSignal } = {},
  ): Promise<string[]> {
    this.#checkOpen('publish');
    // Validate everything first: a bad message fails the batch before anything is sent.
    const batch = messages.map(({ topic, payload }) => ({
      topic,
      key: this.#streamKey(topic, payload),
      payload,
    }));
    if (batch.length === 0) return [];
    const { maxLen } = this.#options;
    const { signal } = options;
    // One round trip, atomic, on a single server. On a cluster a script
    // cannot span hash slots, and each topic is a slot of its own: one
    // script per topic, all at once; a batch is atomic per topic there.
    if (!(this.#link.client instanceof Cluster)) {
      const ids = await this.#link.call('publish', publishBatch(batch, maxLen), signal);
      return entryIds(ids, batch.length);
    }
    const byTopic = new Map<string, number[]>();
    batch.forEach(({ topic }, index) => {
      byTopic.set(topic, [...(byTopic.get(topic) ?? []), index]);
    });
    const ids: string[] = [];
    await Promise.all(
      [...byTopic.values()].map(async (indexes) => {
        const command = publishBatch(
          indexes.map((index) => batch[index] as (typeof batch)[number]),
          maxLen,
        );
        const replies = entryIds(await this.#link.call('publish', command, signal), indexes.length);
        indexes.forEach((index, i) => (ids[index] = replies[i] as string));
      }),
    );
    return ids;
  }

  async subscribe(spec: SubscriptionSpec, handler: MessageHandler): Promise<TransportSubscription> {
    this.#checkOpen('subscribe');
    validateSpec(spec, STREAM_IDS);
    for (const topic of spec.topics) keyPart('topics', topic);
    keyPart('group', spec.group);
    const stopped = { subscription: undefined as TransportSubscription | undefined };
    const host = {
      link: this.#link,
      keys: this.#keys,
      options: this.#options,
      onStopped: () => {
        if (stopped.subscription !== undefined) this.#subscriptions.delete(stopped.subscription);
      },
    };
    if (spec.mode === 'durable') await this.#checkEviction();
    const subscription =
      spec.mode === 'broadcast'
        ? await BroadcastSubscription.start(spec, handler, host)
        : await DurableSubscription.start(spec, handler, host);
    stopped.subscription = subscription;
    this.#subscriptions.add(subscription);
    // Closed while the groups were being created: this one stops too.
    if (this.#closing !== undefined) {
      await subscription.stop();
      this.#checkOpen('subscribe');
    }
    return subscription;
  }

  /** A dedupe store on this transport's Redis, shared by every consumer of a group. */
  dedupeStore(): DedupeStore {
    return new RedisDedupeStore(this.#link, this.#keys);
  }

  health(): Promise<TransportHealth> {
    return Promise.resolve({
      connected: this.#closing === undefined && this.#link.connected,
      lastError: this.#link.lastError,
    });
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    await Promise.all([...this.#subscriptions].map((subscription) => subscription.stop()));
    await this.#link.close();
  }

  #checkEviction(): Promise<void> {
    const { evictionPolicy, logger } = this.#options;
    this.#evictionChecked ??= checkEvictionPolicy(this.#link, evictionPolicy, logger).catch(
      (error: unknown) => {
        this.#evictionChecked = undefined;
        throw error;
      },
    );
    return this.#evictionChecked;
  }

  #xadd(topic: string, payload: string): Command {
    const key = this.#streamKey(topic, payload);
    const { maxLen } = this.#options;
    return maxLen === undefined
      ? ['XADD', key, '*', PAYLOAD_FIELD, payload]
      : ['XADD', key, 'MAXLEN', '~', maxLen, '*', PAYLOAD_FIELD, payload];
  }

  /** The stream of `topic`, once the message is known to be storable. */
  #streamKey(topic: string, payload: string): string {
    keyPart('topic', topic);
    if (typeof payload !== 'string') throw new TypeError('A payload must be a string');
    // Redis stores UTF-8: a lone surrogate would be stored as U+FFFD, the event altered unseen.
    if (!(payload as unknown as { isWellFormed(): boolean }).isWellFormed()) {
      invalidOption(
        'payload',
        'expected well-formed Unicode text (a lone surrogate cannot be stored)',
        TypeError,
      );
    }
    return this.#keys.stream(topic);
  }

  #checkOpen(operation: string): void {
    if (this.#closing !== undefined) throw new ClosedError(`${this.kind} transport`, operation);
  }
}

/** The ids the batch script returned, joined by spaces (stream ids have none): one per message. */
function entryIds(reply: unknown, count: number): string[] {
  const ids = typeof reply === 'string' ? reply.split(' ') : [];
  if (ids.length !== count || ids.includes('')) {
    throw new TransportError(
      'redis',
      'publish',
      `expected ${count} entry ids, got ${String(reply)}`,
    );
  }
  return ids;
}

/** A name that becomes part of a key: no whitespace or braces. */
function keyPart(option: string, value: string): void {
  nameOption(option, value);
  if (!KEY_PART.test(value)) {
    invalidOption(option, `"${value}" cannot be used in a Redis key: no whitespace or braces`);
  }
}
