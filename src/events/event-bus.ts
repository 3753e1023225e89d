import { ClosedError, EventDecodeError, isSwitchboardError } from '../errors.js';
import { throwIfAborted } from '../internal/abort.js';
import { isPromiseLike } from '../internal/promise-like.js';
import { integerOption, nameOption } from '../internal/options.js';
import { TypedEmitter, type Listener } from '../internal/typed-emitter.js';
import { silentLogger, type Logger } from '../logger.js';
import { DEFAULT_MAX_EVENT_BYTES, decodeEvent } from './decode.js';
import type { EventEnvelope } from './envelope.js';
import type {
  BusMessageHandler,
  EventBusEvents,
  EventBusHealth,
  EventBusOptions,
  PublishItem,
  PublishOptions,
} from './event-bus-options.js';
import { DEFAULT_MAX_EVENT_DEPTH } from './json-depth.js';
import { payloadPreview } from './payload-preview.js';
import { prepareEvent, type EventLimits } from './prepare-event.js';
import { topicOfType } from './topic.js';
import type {
  EventTransport,
  MessageHandler,
  PoisonVerdict,
  SubscriptionSpec,
  TransportMessage,
  TransportSubscription,
} from './transport.js';

/**
 * Publishes typed events to a transport and hands received ones, decoded and
 * checked, to subscribers. Validation and size limits live here, so every
 * transport gets the same guarantees.
 *
 * On publish the bus stamps its `source` on events created without one,
 * validates the envelope, and refuses an event whose encoding is larger than
 * `maxEventBytes` with an {@link EventValidationError} (a producer's bug, like
 * any invalid event: {@link EventDecodeError} is kept for received bytes).
 * On receive, a message that does not decode is dead-lettered at once.
 *
 * @example
 * import { EventBus, memoryTransport, ProductEvents } from 'switchboard';
 * const bus = new EventBus({ source: 'product-service', transport: memoryTransport() });
 * await bus.publish(
 *   ProductEvents.created.create({ productId: 1, name: 'Pen', price: 2, createdBy: 7 }),
 * );
 * await bus.close();
 */
export class EventBus {
  /** The service name stamped on events created without a `source`. */
  readonly source: string;
  /** The largest encoded event accepted on publish and on receive, in bytes. */
  readonly maxEventBytes: number;
  /** The deepest nesting of objects and arrays accepted on publish and on receive. */
  readonly maxEventDepth: number;
  /** The bus's logger; subscribers log through it unless given their own. */
  readonly logger: Logger;
  /** Where events go: the transport the bus was made with. */
  readonly transport: EventTransport;
  readonly #ownsTransport: boolean;
  readonly #events = new TypedEmitter<EventBusEvents>();
  readonly #subscriptions = new Set<TransportSubscription>();
  #closed: Promise<void> | undefined;

  /** @throws TypeError or RangeError for an invalid option. */
  constructor(options: EventBusOptions) {
    const source = nameOption('source', options.source);
    if (/\s/.test(source)) throw new TypeError('Invalid option `source`: no whitespace allowed');
    const transport: unknown = options.transport;
    if (typeof transport !== 'object' || transport === null) {
      throw new TypeError('Invalid option `transport`: expected an EventTransport');
    }
    this.source = source;
    this.transport = options.transport;
    this.#ownsTransport = options.ownsTransport ?? true;
    this.maxEventBytes = integerOption(
      'maxEventBytes',
      options.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES,
    );
    this.maxEventDepth = integerOption(
      'maxEventDepth',
      options.maxEventDepth ?? DEFAULT_MAX_EVENT_DEPTH,
    );
    this.logger = options.logger ?? silentLogger;
  }

  get #limits(): EventLimits {
    return { maxBytes: this.maxEventBytes, maxDepth: this.maxEventDepth };
  }

  /**
   * Publishes one event on `options.topic` (default: the type's domain) and
   * resolves with the envelope as published (its `source` stamped).
   *
   * @throws {@link EventValidationError} for an invalid or oversized event.
   * @throws {@link AbortError} when `signal` aborts; {@link ClosedError} once the bus is closed.
   * @example
   * import { EventBus, memoryTransport, SystemEvents } from 'switchboard';
   * const bus = new EventBus({ source: 'auth', transport: memoryTransport() });
   * const event = await bus.publish(SystemEvents.healthCheck.create({ service: 'auth', status: 'healthy' }));
   * event.source; // 'auth'
   */
  async publish<E extends EventEnvelope>(event: E, options: PublishOptions = {}): Promise<E> {
    this.#assertOpen('publish');
    throwIfAborted(options.signal);
    const prepared = prepareEvent(event, this.source, this.#limits);
    const topic = options.topic ?? topicOfType(prepared.event.type);
    const { signal, durability } = options;
    const messageId = await this.transport.publish(
      topic,
      prepared.payload,
      signal === undefined && durability === undefined
        ? undefined
        : { ...(signal && { signal }), ...(durability && { durability }) },
    );
    this.#events.emit('published', { event: prepared.event, topic, messageId });
    return prepared.event;
  }

  /**
   * Publishes several events in one transport round trip, in order; each is
   * validated first, so one invalid event publishes none.
   *
   * @throws {@link EventValidationError} for an invalid or oversized event.
   * @example
   * import { EventBus, memoryTransport, UserEvents } from 'switchboard';
   * const bus = new EventBus({ source: 'auth', transport: memoryTransport() });
   * await bus.publishMany([
   *   UserEvents.created.create({ userId: 1, email: 'a@example.com', username: 'a' }),
   *   { event: UserEvents.login.create({ userId: 1, email: 'a@example.com' }), topic: 'logins' },
   * ]);
   */
  async publishMany(
    items: readonly PublishItem[],
    options: { readonly signal?: AbortSignal } = {},
  ): Promise<EventEnvelope[]> {
    this.#assertOpen('publish');
    throwIfAborted(options.signal);
    // Plain loops, no copies: this runs for every event of a batch.
    const limits = this.#limits;
    const events: EventEnvelope[] = [];
    const messages: { readonly topic: string; readonly payload: string }[] = [];
    for (const item of items) {
      const wrapped = 'event' in item;
      const { event, payload } = prepareEvent(wrapped ? item.event : item, this.source, limits);
      const topic = (wrapped ? item.topic : undefined) ?? topicOfType(event.type);
      events.push(event);
      messages.push({ topic, payload });
    }
    if (events.length === 0) return [];
    const signal = options.signal;
    const ids = await this.transport.publishMany(
      messages,
      signal === undefined ? undefined : { signal },
    );
    if (this.#events.has('published')) {
      events.forEach((event, index) => {
        const topic = messages[index]?.topic ?? '';
        this.#events.emit('published', { event, topic, messageId: ids[index] ?? '' });
      });
    }
    return events;
  }

  /**
   * Opens a transport subscription whose handler receives decoded, valid
   * envelopes; a message that does not decode is dead-lettered with the
   * decode reason (`'too-large'`, `'malformed-json'`, …). Used by
   * {@link EventSubscriber}, which applies the defaults of `spec`.
   *
   * @example
   * import { EventBus, memoryTransport } from 'switchboard';
   * const bus = new EventBus({ source: 'audit', transport: memoryTransport() });
   * const subscription = await bus.subscribe(
   *   { topics: ['user'], mode: 'broadcast', group: 'audit', consumer: 'audit-1', concurrency: 1,
   *     maxDeliveries: 1, retryDelayMs: () => 0, claimIdleMs: 30_000, start: 'latest' },
   *   async (event) => { console.log(event.type); },
   * );
   * await subscription.stop();
   */
  async subscribe(
    spec: SubscriptionSpec,
    handler: BusMessageHandler,
  ): Promise<TransportSubscription> {
    this.#assertOpen('subscribe');
    const inner = await this.transport.subscribe(spec, this.#decoding(spec, handler));
    const subscriptions = this.#subscriptions;
    let stopped: Promise<void> | undefined;
    const subscription: TransportSubscription = {
      stop: (options) => {
        subscriptions.delete(subscription);
        stopped ??= inner.stop(options);
        return stopped;
      },
      stats: () => inner.stats(),
    };
    subscriptions.add(subscription);
    return subscription;
  }

  /**
   * The transport's health plus the bus's own state.
   *
   * @example
   * import { EventBus, memoryTransport } from 'switchboard';
   * const bus = new EventBus({ source: 'auth', transport: memoryTransport() });
   * const { connected, subscriptions } = await bus.health();
   */
  async health(options: { readonly signal?: AbortSignal } = {}): Promise<EventBusHealth> {
    throwIfAborted(options.signal);
    const transport = await this.transport.health();
    return {
      ...transport,
      transport: this.transport.kind,
      source: this.source,
      subscriptions: this.#subscriptions.size,
      closed: this.#closed !== undefined,
    };
  }

  /** Dead letters of the transport: list, redrive, delete. */
  get deadLetters(): EventTransport['deadLetters'] {
    return this.transport.deadLetters;
  }

  /**
   * Subscribes to a bus event; returns the unsubscribe function.
   *
   * @example
   * import { EventBus, memoryTransport } from 'switchboard';
   * const bus = new EventBus({ source: 'auth', transport: memoryTransport() });
   * const off = bus.on('published', ({ event, topic }) => console.log(topic, event.id));
   * off();
   */
  on<K extends keyof EventBusEvents>(name: K, listener: Listener<EventBusEvents[K]>): () => void {
    return this.#events.on(name, listener);
  }

  /**
   * Stops the subscriptions opened through the bus (draining their handlers),
   * then closes the transport unless `ownsTransport: false`. Idempotent: every
   * call returns the same promise.
   */
  close(): Promise<void> {
    this.#closed ??= this.#shutdown();
    return this.#closed;
  }

  async #shutdown(): Promise<void> {
    try {
      await Promise.allSettled([...this.#subscriptions].map((s) => s.stop({ drain: true })));
      if (this.#ownsTransport) await this.transport.close();
    } finally {
      this.#events.clear();
    }
  }

  #assertOpen(operation: string): void {
    if (this.#closed !== undefined)
      throw new ClosedError(`event bus of "${this.source}"`, operation);
  }

  /**
   * The transport's handler: decodes, then runs the bus handler. Not an
   * async function: a handler that finishes at once settles the message at
   * once, with no promise made for it (ADR 0024).
   */
  #decoding(spec: SubscriptionSpec, handler: BusMessageHandler): MessageHandler {
    const limits = { maxBytes: this.maxEventBytes, maxDepth: this.maxEventDepth };
    return (message, signal) => {
      let event: EventEnvelope;
      try {
        if (message.invalidText === true) {
          throw new EventDecodeError('malformed-json', 'An event is not valid UTF-8');
        }
        event = decodeEvent(message.payload, limits);
      } catch (error) {
        // A MessageHandler reports failure by rejecting, never by throwing.
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
        if (!isSwitchboardError(error, 'EVENT_DECODE')) return Promise.reject(error);
        const verdict: PoisonVerdict = { poison: true, reason: error.reason, error };
        return this.#poisoned(spec, message, undefined, verdict);
      }
      const failed = (error: unknown): unknown => {
        const last = spec.mode === 'durable' && message.deliveryCount >= spec.maxDeliveries;
        if (last && !signal.aborted) {
          this.#deadLettered(spec, message, event, 'max-deliveries', error);
        }
        return error;
      };
      const verdictOf = (verdict: PoisonVerdict | undefined): PoisonVerdict | undefined =>
        verdict === undefined ? undefined : this.#poisoned(spec, message, event, verdict);
      let result: ReturnType<BusMessageHandler>;
      try {
        result = handler(event, { message, signal });
      } catch (error) {
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
        return Promise.reject(failed(error));
      }
      if (!isPromiseLike(result)) return verdictOf(result);
      return Promise.resolve(result).then(verdictOf, (error: unknown) => {
        throw failed(error);
      });
    };
  }

  #poisoned(
    spec: SubscriptionSpec,
    message: TransportMessage,
    event: EventEnvelope | undefined,
    verdict: PoisonVerdict,
  ): PoisonVerdict {
    const preview = payloadPreview(message.payload);
    this.logger.warn(
      {
        topic: message.topic,
        group: spec.group,
        messageId: message.id,
        reason: verdict.reason,
        preview,
      },
      'event dead-lettered: poison message',
    );
    this.#deadLettered(spec, message, event, verdict.reason, verdict.error, preview);
    return verdict;
  }

  #deadLettered(
    spec: SubscriptionSpec,
    message: TransportMessage,
    event: EventEnvelope | undefined,
    reason: string,
    error: unknown,
    preview = payloadPreview(message.payload),
  ): void {
    this.#events.emit('dead-lettered', {
      topic: message.topic,
      group: spec.group,
      messageId: message.id,
      reason,
      error,
      deliveryCount: message.deliveryCount,
      event,
      preview,
    });
  }
}
