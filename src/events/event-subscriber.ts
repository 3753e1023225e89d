import { throwIfAborted } from '../internal/abort.js';
import { functionOption } from '../internal/options.js';
import { TypedEmitter } from '../internal/typed-emitter.js';
import type { EventDefinition } from './define-event.js';
import { MemoryDedupeStore } from './dedupe.js';
import {
  dispatchEvent,
  type Dispatcher,
  type DispatchStats,
  type Route,
} from './event-dispatch.js';
import type { EventBus } from './event-bus.js';
import type { EventSource } from './event-source.js';
import {
  subscriberSettings,
  type EventSubscriberOptions,
  type SubscriberSettings,
} from './subscriber-options.js';
import type {
  AnyEventHandler,
  EventHandler,
  EventSubscriberEvents,
  SubscriberHealth,
} from './subscriber-events.js';
import type { TransportSubscription } from './transport.js';

type State = 'idle' | 'starting' | 'running' | 'stopped';

/**
 * Runs typed handlers for a consumer group: one transport subscription over
 * the topics of every registered definition, each event decoded, checked
 * against its definition and handled inside its correlation context (so an
 * HTTP call or event the handler makes carries the same correlation id, and
 * the event's id as causation).
 *
 * - A handler that throws has its event retried with backoff (durable mode)
 *   and dead-lettered after `maxDeliveries`.
 * - A message that does not decode, or whose data does not match the
 *   definition, is dead-lettered at once with the reason; it never reaches a
 *   handler nor stops the consumer.
 * - An event whose type has no handler (and no `onAny`) is acknowledged and
 *   counted in `health().unhandled`, not dead-lettered: topics carry many
 *   types and a group handles the ones it cares about.
 *
 * @example
 * import { EventBus, EventSubscriber, memoryTransport, ProductEvents } from 'switchboard';
 * const bus = new EventBus({ source: 'notifications', transport: memoryTransport() });
 * const subscriber = new EventSubscriber(bus, { group: 'notifications' });
 * subscriber.on(ProductEvents.created, async (event) => {
 *   console.log(event.data.productId, event.data.name); // typed
 * });
 * await subscriber.start();
 * // ...
 * await subscriber.stop({ drain: true });
 */
export class EventSubscriber {
  /**
   * Lifecycle events: `delivered`, `handler-failed`, `dead-lettered`, `started`, `stopped`,
   * `reconnected`, `possible-data-loss`, `trimmed`.
   */
  readonly events: EventSource<EventSubscriberEvents>;
  readonly #bus: EventBus;
  readonly #settings: SubscriberSettings;
  readonly #emitter = new TypedEmitter<EventSubscriberEvents>();
  readonly #routes = new Map<string, Route>();
  readonly #anyTopics = new Set<string>();
  #any: AnyEventHandler | undefined;
  readonly #stats: DispatchStats = { lastError: undefined, unhandled: 0, duplicates: 0 };
  #state: State = 'idle';
  #started: Promise<void> | undefined;
  #stopped: Promise<void> | undefined;
  #subscription: TransportSubscription | undefined;

  /** @throws TypeError or RangeError for an invalid option. */
  constructor(bus: EventBus, options: EventSubscriberOptions) {
    this.#bus = bus;
    this.#settings = subscriberSettings(options);
    const emitter = this.#emitter;
    this.events = { on: (name, listener) => emitter.on(name, listener) };
  }

  /**
   * Registers the handler of one definition's events (one handler per type),
   * with `event.data` typed by the definition's schema. Register before `start()`.
   *
   * @throws TypeError after `start()`, or when the type already has a handler.
   * @example
   * import { EventBus, EventSubscriber, memoryTransport, UserEvents } from 'switchboard';
   * const bus = new EventBus({ source: 'mailer', transport: memoryTransport() });
   * new EventSubscriber(bus, { group: 'mailer' }).on(UserEvents.created, async (event) => {
   *   console.log(event.data.email);
   * });
   */
  on<D extends EventDefinition>(definition: D, handler: EventHandler<D>): this {
    this.#assertIdle(`on(${definition.type})`);
    functionOption('handler', handler);
    if (this.#routes.has(definition.type)) {
      throw new TypeError(`A handler for "${definition.type}" is already registered`);
    }
    // The dispatcher parses with `definition` before calling, so the event has its type.
    this.#routes.set(definition.type, { definition, handler });
    return this;
  }

  /**
   * Registers the handler of every event on the subscribed topics whose type
   * has no `on` handler (its data is not checked: it is `unknown`). `topics`
   * adds topics to the subscription beyond those of the registered definitions.
   *
   * @throws TypeError after `start()`, or when an `onAny` handler is already registered.
   * @example
   * import { EventBus, EventSubscriber, memoryTransport } from 'switchboard';
   * const bus = new EventBus({ source: 'audit', transport: memoryTransport() });
   * new EventSubscriber(bus, { group: 'audit' }).onAny(
   *   (event) => console.log(event.type, event.id),
   *   { topics: ['user', 'product'] },
   * );
   */
  onAny(handler: AnyEventHandler, options: { readonly topics?: readonly string[] } = {}): this {
    this.#assertIdle('onAny()');
    functionOption('handler', handler);
    if (this.#any !== undefined) throw new TypeError('An onAny handler is already registered');
    this.#any = handler;
    for (const topic of options.topics ?? []) this.#anyTopics.add(topic);
    return this;
  }

  /**
   * Opens one subscription over the topics of every registered definition.
   * Idempotent while running.
   *
   * @throws TypeError when nothing is registered, or after `stop()`.
   */
  start(options: { readonly signal?: AbortSignal } = {}): Promise<void> {
    if (this.#state === 'stopped') {
      return Promise.reject(new TypeError('A stopped EventSubscriber cannot start again'));
    }
    this.#started ??= this.#start(options.signal);
    return this.#started;
  }

  async #start(signal: AbortSignal | undefined): Promise<void> {
    throwIfAborted(signal);
    const topics = this.#topics();
    if (topics.length === 0) {
      throw new TypeError('Nothing to subscribe to: register handlers with on() before start()');
    }
    this.#state = 'starting';
    const { group, consumer } = this.#settings;
    const s = this.#settings;
    const dispatcher: Dispatcher = {
      routes: this.#routes,
      any: this.#any,
      settings: s,
      dedupe:
        s.dedupeTtlMs === undefined
          ? undefined
          : (s.dedupeStore ?? this.#bus.transport.dedupeStore?.() ?? new MemoryDedupeStore()),
      emitter: this.#emitter,
      stats: this.#stats,
      logger: s.logger ?? this.#bus.logger,
    };
    try {
      this.#subscription = await this.#bus.subscribe(
        {
          topics,
          mode: s.mode,
          group,
          consumer,
          concurrency: s.concurrency,
          maxDeliveries: s.maxDeliveries,
          retryDelayMs: s.retryDelayMs,
          claimIdleMs: s.claimIdleMs,
          start: s.start,
          onReconnected: ({ failures, downMs }) => {
            this.#emitter.emit('reconnected', { group, consumer, failures, downMs });
          },
          onPossibleDataLoss: ({ topics: lost, reason }) => {
            this.#emitter.emit('possible-data-loss', { group, consumer, topics: lost, reason });
          },
          onTrimmed: ({ topic, unread, pending }) => {
            this.#emitter.emit('trimmed', { group, consumer, topic, unread, pending });
          },
        },
        (event, delivery) => dispatchEvent(dispatcher, event, delivery),
      );
    } catch (error) {
      if ((this.#state as State) === 'starting') {
        this.#state = 'idle';
        this.#started = undefined;
      }
      throw error;
    }
    // stop() may have been called while subscribing.
    if ((this.#state as State) === 'stopped') {
      await this.#subscription.stop({ drain: false });
      return;
    }
    this.#state = 'running';
    this.#emitter.emit('started', { group, consumer, topics });
  }

  /**
   * Stops reading. With `drain` (the default) waits for handlers in flight
   * and acknowledges those that succeed; without, aborts their signals (their
   * events stay pending and are redelivered). Idempotent: later calls return
   * the first call's promise.
   */
  stop(options: { readonly drain?: boolean; readonly signal?: AbortSignal } = {}): Promise<void> {
    this.#stopped ??= this.#stop(options.drain ?? true, options.signal);
    return this.#stopped;
  }

  async #stop(drain: boolean, signal: AbortSignal | undefined): Promise<void> {
    const wasStarted = this.#state !== 'idle';
    this.#state = 'stopped';
    // Let a start() in progress finish (it stops the subscription it opens).
    await this.#started?.catch(() => undefined);
    const subscription = this.#subscription;
    if (subscription !== undefined) {
      await subscription.stop(signal === undefined ? { drain } : { drain, signal });
    }
    if (wasStarted) {
      const { group, consumer } = this.#settings;
      this.#emitter.emit('stopped', { group, consumer, drained: drain });
    }
    this.#emitter.clear();
  }

  /** Running state, handlers in flight, pending events, last error and counters. */
  health(): SubscriberHealth {
    const stats = this.#subscription?.stats() ?? { inFlight: 0, pending: 0 };
    return {
      running: this.#state === 'running',
      connected: this.#state === 'running' && (stats.connected ?? true),
      inFlight: stats.inFlight,
      pending: stats.pending,
      lastError: this.#stats.lastError,
      unhandled: this.#stats.unhandled,
      duplicates: this.#stats.duplicates,
      lag: stats.lag,
      trimmed: stats.trimmed ?? 0,
    };
  }

  #topics(): string[] {
    const topics = new Set(this.#anyTopics);
    for (const { definition } of this.#routes.values()) topics.add(definition.topic);
    return [...topics];
  }

  #assertIdle(what: string): void {
    if (this.#state !== 'idle') {
      throw new TypeError(
        `Cannot call ${what} after start() or stop(): register every handler before start()`,
      );
    }
  }
}
