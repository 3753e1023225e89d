import { ClosedError, NotReplicatedError } from '../../errors.js';
import { throwIfAborted } from '../../internal/abort.js';
import { createMitt } from '../../internal/mitt.js';
import { nameOption } from '../../internal/options.js';
import type {
  DeadLetter,
  EventTransport,
  MessageHandler,
  PublishDurability,
  SubscriptionSpec,
  TransportHealth,
  TransportSubscription,
} from '../transport.js';
import { BroadcastSubscription } from './broadcast-subscription.js';
import { DurableSubscription } from './durable-subscription.js';
import { MemoryDeadLetters } from './memory-dead-letters.js';
import { MemoryGroup, type GroupHost } from './memory-group.js';
import {
  resolveMemoryOptions,
  type MemoryTransportOptions,
  type ResolvedMemoryOptions,
} from './memory-options.js';
import { settle } from '../../internal/settle.js';
import { validateSpec, type MessageIdFormat } from '../subscription-spec.js';
import { TimerSet } from '../../internal/timer-set.js';
import { TopicLog, type LogEntry } from './topic-log.js';

/**
 * An in-process {@link EventTransport} with the semantics of the Redis one:
 * per-topic logs with consumer groups (each group gets each message once,
 * acknowledged only when its handler succeeds, retried without blocking the
 * messages behind it, dead-lettered after `maxDeliveries` or at once for a
 * poison verdict, taken over by another consumer `claimIdleMs` after its
 * consumer stopped without draining), and broadcast subscriptions fanned out
 * with mitt.
 *
 * For tests and single-process demos: nothing survives the process, and
 * broadcast is best effort (a busy subscriber's queue holds 1,000 messages,
 * then drops new ones with a warning). Logs are trimmed to `maxLenPerTopic`;
 * trimming can drop messages that no group has read (see
 * {@link MemoryTransportOptions.maxLenPerTopic}). Ids are `"1"`, `"2"`, … per topic.
 *
 * @param options - see {@link MemoryTransportOptions}.
 * @throws {RangeError} for an invalid option.
 * Give it to an `EventBus` (`new EventBus({ source, transport: memoryTransport() })`)
 * or use it directly, as below.
 *
 * @example
 * import { memoryTransport } from 'switchboard';
 * const transport = memoryTransport();
 * const subscription = await transport.subscribe(
 *   {
 *     topics: ['product'],
 *     mode: 'durable',
 *     group: 'notifications',
 *     consumer: 'worker-1',
 *     concurrency: 4,
 *     maxDeliveries: 5,
 *     retryDelayMs: (deliveryCount) => 100 * 2 ** deliveryCount,
 *     claimIdleMs: 30_000,
 *     start: 'latest',
 *   },
 *   async (message) => {
 *     console.log(message.id, message.payload);
 *   },
 * );
 * await transport.publish('product', '{"productId":1}');
 * await subscription.stop();
 * await transport.close();
 */
export function memoryTransport(options?: MemoryTransportOptions): EventTransport {
  return new MemoryTransport(resolveMemoryOptions(options));
}

const MEMORY_IDS: MessageIdFormat = {
  pattern: /^\d+$/,
  description: 'a memory transport id (digits)',
};

class MemoryTransport implements EventTransport {
  readonly kind = 'memory';
  readonly deadLetters: MemoryDeadLetters;
  readonly #options: ResolvedMemoryOptions;
  readonly #emitter = createMitt<Record<string, LogEntry>>();
  readonly #logs = new Map<string, TopicLog>();
  readonly #groups = new Map<string, Map<string, MemoryGroup>>();
  readonly #subscriptions = new Set<TransportSubscription>();
  readonly #timers = new TimerSet();
  readonly #host: GroupHost;
  #lastError: string | undefined;
  #closing: Promise<void> | undefined;

  constructor(options: ResolvedMemoryOptions) {
    this.#options = options;
    this.deadLetters = new MemoryDeadLetters(
      (letter) => this.#redeliver(letter),
      (operation) => {
        this.#checkOpen(operation);
      },
    );
    this.#host = {
      timers: this.#timers,
      isClosed: () => this.#closing !== undefined,
      deadLetter: (letter) => this.deadLetters.add(letter),
      released: (topic) => {
        this.#trim(topic);
      },
      warn: (context, message) => {
        this.#warn(context, message);
      },
    };
  }

  publish(
    topic: string,
    payload: string,
    options: { signal?: AbortSignal; durability?: PublishDurability } = {},
  ): Promise<string> {
    // The one-message case of publishMany, without its arrays: the hot path of in-process buses.
    return settle(() => {
      throwIfAborted(options.signal);
      this.#checkOpen('publish');
      nameOption('topic', topic);
      if (typeof payload !== 'string') throw new TypeError('A payload must be a string');
      const entry = this.#log(topic).append(payload);
      this.#emitter.emit(topic, entry);
      this.#trim(topic);
      // Held, and delivered, in this process only: no replica can confirm it.
      const { durability } = options;
      if (durability !== undefined && durability.replicas > 0) {
        throw new NotReplicatedError(topic, entry.id, durability.replicas, 0);
      }
      return entry.id;
    });
  }

  publishMany(
    messages: readonly { readonly topic: string; readonly payload: string }[],
    options: { readonly signal?: AbortSignal } = {},
  ): Promise<string[]> {
    return settle(() => {
      throwIfAborted(options.signal);
      this.#checkOpen('publish');
      // Validate everything first: the batch is all or nothing.
      for (const { topic, payload } of messages) {
        nameOption('topic', topic);
        if (typeof payload !== 'string') throw new TypeError('A payload must be a string');
      }
      const entries = messages.map(({ topic, payload }) => this.#log(topic).append(payload));
      for (const entry of entries) {
        this.#emitter.emit(entry.topic, entry);
        this.#trim(entry.topic);
      }
      return entries.map((entry) => entry.id);
    });
  }

  subscribe(spec: SubscriptionSpec, handler: MessageHandler): Promise<TransportSubscription> {
    return settle(() => {
      this.#checkOpen('subscribe');
      validateSpec(spec, MEMORY_IDS);
      const stopped = (): void => {
        this.#subscriptions.delete(subscription);
      };
      const subscription: TransportSubscription =
        spec.mode === 'broadcast'
          ? new BroadcastSubscription(spec, handler, this.#emitter, this.#options.logger, stopped)
          : new DurableSubscription(spec, handler, this.#groupsFor(spec), stopped);
      this.#subscriptions.add(subscription);
      return subscription;
    });
  }

  health(): Promise<TransportHealth> {
    return Promise.resolve({ connected: this.#closing === undefined, lastError: this.#lastError });
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    await Promise.all([...this.#subscriptions].map((subscription) => subscription.stop()));
    this.#timers.clear();
    this.#emitter.all.clear();
  }

  #checkOpen(operation: string): void {
    if (this.#closing !== undefined) throw new ClosedError(`${this.kind} transport`, operation);
  }

  #log(topic: string): TopicLog {
    let log = this.#logs.get(topic);
    if (log === undefined) {
      log = new TopicLog(topic);
      this.#logs.set(topic, log);
    }
    return log;
  }

  /** The spec's group on each topic; an existing group keeps its position (its `start` is ignored). */
  #groupsFor(spec: SubscriptionSpec): MemoryGroup[] {
    return spec.topics.map((topic) => {
      let groups = this.#groups.get(topic);
      if (groups === undefined) {
        groups = new Map();
        this.#groups.set(topic, groups);
      }
      let group = groups.get(spec.group);
      if (group === undefined) {
        group = new MemoryGroup(spec.group, this.#log(topic), this.#host, spec.start);
        groups.set(spec.group, group);
        this.#emitter.on(topic, group.wake);
      }
      return group;
    });
  }

  #redeliver(letter: DeadLetter): boolean {
    const group = this.#groups.get(letter.topic)?.get(letter.group);
    if (group === undefined) return false;
    const seq = Number(letter.messageId);
    return group.requeue({
      seq,
      id: letter.messageId,
      topic: letter.topic,
      payload: letter.payload,
    });
  }

  /** Drops the oldest entries past `maxLenPerTopic` that no group still needs. */
  #trim(topic: string): void {
    const log = this.#logs.get(topic);
    if (log === undefined || log.length <= this.#options.maxLenPerTopic) return;
    let keepFrom = Infinity;
    for (const group of this.#groups.get(topic)?.values() ?? []) {
      keepFrom = Math.min(keepFrom, group.keepFrom());
    }
    log.trim(this.#options.maxLenPerTopic, keepFrom);
  }

  #warn(context: Record<string, unknown>, message: string): void {
    this.#lastError = message;
    this.#options.logger.warn(context, message);
  }
}
