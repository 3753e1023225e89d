import { abortErrorFrom, ClosedError, TimeoutError } from '../errors.js';
import type { EventDefinition, EventOf } from '../events/define-event.js';
import type { EventEnvelope } from '../events/envelope.js';
import { EventBus } from '../events/event-bus.js';
import type { BusMessageHandler } from '../events/event-bus-options.js';
import { memoryTransport } from '../events/memory/memory-transport.js';
import type { MemoryTransportOptions } from '../events/memory/memory-options.js';
import type { SubscriptionSpec, TransportSubscription } from '../events/transport.js';
import { functionOption, timerOption } from '../internal/options.js';
import { describeEvents, matchesEvent, type EventMatcher } from './event-matching.js';

/**
 * Options of {@link createRecordingBus}: the bus's `source` plus those of the
 * memory transport (its `logger` is the bus's logger too).
 *
 * @example
 * import { createRecordingBus } from 'switchboard/testing';
 * const bus = createRecordingBus({ source: 'product-service', maxLenPerTopic: 100 });
 */
export type RecordingBusOptions = MemoryTransportOptions & {
  /**
   * The service name stamped on published events created without a `source`.
   * @default 'test'
   */
  readonly source?: string;
};

/**
 * Options of `waitForEvent`.
 *
 * @example
 * import { createRecordingBus } from 'switchboard/testing';
 * import { UserEvents } from 'switchboard';
 * const bus = createRecordingBus();
 * const login = bus.waitForEvent(UserEvents.login, { timeoutMs: 500, where: (e) => e.data.userId === 7 });
 */
export type WaitForEventOptions<D extends EventDefinition> = {
  /**
   * How long to wait for a matching event, in milliseconds.
   * @default 1_000
   */
  readonly timeoutMs?: number;
  /** Only events for which this returns true count. @default every event of the definition */
  readonly where?: (event: EventOf<D>) => boolean;
  /** Aborts the wait with an {@link AbortError}. */
  readonly signal?: AbortSignal;
};

type Waiter = { readonly check: (event: EventEnvelope) => void; readonly cancel: () => void };

/**
 * A real {@link EventBus} over {@link memoryTransport} that records every event
 * published through it (as published, `source` stamped) and every event a
 * subscription's handler acknowledged (so `EventSubscriber` deliveries,
 * including events acked because their type had no handler). Made by
 * {@link createRecordingBus}; give it to `EventPublisher` and `EventSubscriber`
 * exactly like any bus.
 *
 * @example
 * import { createRecordingBus } from 'switchboard/testing';
 * import { EventPublisher, ProductEvents } from 'switchboard';
 * const bus = createRecordingBus({ source: 'product-service' });
 * await new EventPublisher(bus).publishProductCreated({ productId: 1, name: 'Pen', price: 2, createdBy: 7 });
 * bus.expectPublished(ProductEvents.created, { productId: 1 }).source; // 'product-service'
 * await bus.close();
 */
export class RecordingBus extends EventBus {
  readonly #published: EventEnvelope[] = [];
  readonly #delivered: EventEnvelope[] = [];
  readonly #waiters = new Set<Waiter>();
  #closed = false;

  /** @throws TypeError or RangeError for an invalid option. */
  constructor(options: RecordingBusOptions = {}) {
    const { source = 'test', logger, ...transportOptions } = options;
    super({
      source,
      transport: memoryTransport(
        logger === undefined ? transportOptions : { ...transportOptions, logger },
      ),
      ...(logger === undefined ? {} : { logger }),
    });
    this.on('published', ({ event }) => {
      this.#published.push(event);
      for (const waiter of [...this.#waiters]) waiter.check(event);
    });
  }

  /** Events published so far, oldest first: all of them, or those of `definition` (typed). */
  published<D extends EventDefinition>(definition: D): EventOf<D>[];
  published(): EventEnvelope[];
  published(definition?: EventDefinition): EventEnvelope[] {
    return definition === undefined ? [...this.#published] : this.#published.filter(definition.is);
  }

  /**
   * Events a subscription's handler acknowledged so far, oldest first (once per
   * consumer group): all of them, or those of `definition` (typed).
   */
  delivered<D extends EventDefinition>(definition: D): EventOf<D>[];
  delivered(): EventEnvelope[];
  delivered(definition?: EventDefinition): EventEnvelope[] {
    return definition === undefined ? [...this.#delivered] : this.#delivered.filter(definition.is);
  }

  /**
   * The first published event of `definition` that matches `matcher` (some data
   * fields, compared deeply, or a predicate).
   *
   * @throws Error listing what was published (types and data) when none matches.
   * @example
   * import { createRecordingBus } from 'switchboard/testing';
   * import { EventPublisher, UserEvents } from 'switchboard';
   * const bus = createRecordingBus();
   * await new EventPublisher(bus).publishUserLogin({ userId: 7, email: 'ada@example.com' });
   * bus.expectPublished(UserEvents.login, { userId: 7 });
   * bus.expectPublished(UserEvents.login, (event) => event.data.email.endsWith('@example.com'));
   */
  expectPublished<D extends EventDefinition>(definition: D, matcher?: EventMatcher<D>): EventOf<D> {
    const found = this.published(definition).find((event) => matchesEvent(event, matcher));
    if (found !== undefined) return found;
    const wanted =
      matcher === undefined
        ? ''
        : typeof matcher === 'function'
          ? ' matching the predicate'
          : ` with data matching ${JSON.stringify(matcher)}`;
    throw new Error(
      `Expected a published "${definition.type}" event${wanted}; published:\n${describeEvents(this.#published)}`,
    );
  }

  /**
   * Resolves with the first published event of `definition` that passes
   * `where`, counting those already published.
   *
   * @throws {@link TimeoutError} (listing what was published) after `timeoutMs`;
   * {@link AbortError} when `signal` aborts; {@link ClosedError} when the bus closes first.
   * @example
   * import { createRecordingBus } from 'switchboard/testing';
   * import { ProductEvents } from 'switchboard';
   * const bus = createRecordingBus();
   * const created = bus.waitForEvent(ProductEvents.created, { where: (e) => e.data.productId === 1 });
   * // ... code under test publishes ...
   * (await created).data.name;
   */
  async waitForEvent<D extends EventDefinition>(
    definition: D,
    options: WaitForEventOptions<D> = {},
  ): Promise<EventOf<D>> {
    const timeoutMs = timerOption('timeoutMs', options.timeoutMs ?? 1_000);
    const where = options.where === undefined ? undefined : functionOption('where', options.where);
    const test = (event: EventEnvelope): event is EventOf<D> =>
      definition.is(event) && (where === undefined || where(event));
    const found = this.#published.find(test);
    if (found !== undefined) return found;
    const { signal } = options;
    if (signal?.aborted === true) throw abortErrorFrom(signal);
    if (this.#closed) throw new ClosedError(`recording bus of "${this.source}"`, 'waitForEvent');
    return this.#wait(definition.type, test, timeoutMs, signal);
  }

  /** Forgets every recorded event (pending `waitForEvent` calls keep waiting). */
  reset(): void {
    this.#published.length = 0;
    this.#delivered.length = 0;
  }

  /** Opens the subscription, recording the events its handler acknowledges. */
  override subscribe(
    spec: SubscriptionSpec,
    handler: BusMessageHandler,
  ): Promise<TransportSubscription> {
    return super.subscribe(spec, async (event, delivery) => {
      const verdict = await handler(event, delivery);
      if (verdict === undefined) this.#delivered.push(event);
      return verdict;
    });
  }

  /** Rejects pending `waitForEvent` calls with a {@link ClosedError}, then closes the bus. */
  override close(): Promise<void> {
    this.#closed = true;
    for (const waiter of [...this.#waiters]) waiter.cancel();
    return super.close();
  }

  #wait<E extends EventEnvelope>(
    type: string,
    test: (event: EventEnvelope) => event is E,
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ): Promise<E> {
    return new Promise<E>((resolve, reject) => {
      const settle = (error: Error | undefined, event?: E): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.#waiters.delete(waiter);
        if (error === undefined) resolve(event as E);
        else reject(error);
      };
      const onAbort = (): void => {
        settle(abortErrorFrom(signal as AbortSignal));
      };
      const waiter: Waiter = {
        check: (event) => {
          try {
            if (test(event)) settle(undefined, event);
          } catch (error) {
            settle(error instanceof Error ? error : new Error(String(error)));
          }
        },
        cancel: () => {
          settle(new ClosedError(`recording bus of "${this.source}"`, 'waitForEvent'));
        },
      };
      const timer = setTimeout(() => {
        const seen = describeEvents(this.#published);
        settle(
          new TimeoutError(
            `No matching "${type}" event published within ${timeoutMs} ms; published:\n${seen}`,
            {
              timeoutMs,
            },
          ),
        );
      }, timeoutMs);
      this.#waiters.add(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/**
 * A {@link RecordingBus}: an in-memory {@link EventBus} that records what is
 * published and delivered, for testing a service's real event wiring with the
 * bus swapped.
 *
 * @throws TypeError or RangeError for an invalid option.
 * @example
 * import { createRecordingBus } from 'switchboard/testing';
 * import { EventPublisher, EventSubscriber, UserEvents } from 'switchboard';
 * const bus = createRecordingBus({ source: 'auth-service' });
 * const subscriber = new EventSubscriber(bus, { group: 'mailer' }).on(UserEvents.created, () => {});
 * await subscriber.start();
 * await new EventPublisher(bus).publishUserCreated({ userId: 1, email: 'a@example.com', username: 'a' });
 * const event = await bus.waitForEvent(UserEvents.created);
 * event.data.email; // 'a@example.com'
 * await subscriber.stop();
 * await bus.close();
 */
export function createRecordingBus(options: RecordingBusOptions = {}): RecordingBus {
  return new RecordingBus(options);
}
