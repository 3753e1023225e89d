import type { InferInput } from '../standard-schema.js';
import type { EventDefinition, EventMeta, EventOf } from './define-event.js';
import type { EventBus } from './event-bus.js';
import { ProductEvents } from './product-events.js';
import { SystemEvents } from './system-events.js';
import { UserEvents } from './user-events.js';

/**
 * Options of the publisher's helpers: the event's metadata overrides (each
 * defaults to the current correlation context) and an abort signal.
 *
 * @example
 * import { EventBus, EventPublisher, memoryTransport } from 'switchboard';
 * const publisher = new EventPublisher(new EventBus({ source: 'auth', transport: memoryTransport() }));
 * await publisher.publishUserLogin(
 *   { userId: 7, email: 'ada@example.com' },
 *   { correlationId: 'req-1', signal: AbortSignal.timeout(1_000) },
 * );
 */
export type PublishEventOptions = EventMeta & { readonly signal?: AbortSignal };

type Data<D extends EventDefinition> = InferInput<D['schema']>;

/**
 * The seed's publishing helpers, typed by the built-in catalogue: each
 * creates the event (carrying the current correlation id, or its own id),
 * publishes it on its definition's topic, and resolves with the published
 * envelope. `publish(definition, data)` does the same for your own definitions.
 *
 * @throws {@link EventValidationError} when the data does not match the schema.
 * @example
 * import { EventBus, EventPublisher, memoryTransport } from 'switchboard';
 * const bus = new EventBus({ source: 'product-service', transport: memoryTransport() });
 * const publisher = new EventPublisher(bus);
 * const event = await publisher.publishProductCreated({ productId: 1, name: 'Pen', price: 2, createdBy: 7 });
 * event.correlationid; // the current request's correlation id
 */
export class EventPublisher {
  readonly #bus: EventBus;

  constructor(bus: EventBus) {
    this.#bus = bus;
  }

  /** Creates an event of `definition` and publishes it on the definition's topic. */
  async publish<D extends EventDefinition>(
    definition: D,
    data: Data<D>,
    options: PublishEventOptions = {},
  ): Promise<EventOf<D>> {
    const { signal, ...meta } = options;
    const event = definition.create(data, meta) as EventOf<D>;
    const topic = definition.topic;
    return this.#bus.publish(event, signal === undefined ? { topic } : { topic, signal });
  }

  /** Publishes `user.created`. */
  publishUserCreated(
    data: Data<typeof UserEvents.created>,
    options?: PublishEventOptions,
  ): Promise<EventOf<typeof UserEvents.created>> {
    return this.publish(UserEvents.created, data, options);
  }

  /** Publishes `user.updated`. */
  publishUserUpdated(
    data: Data<typeof UserEvents.updated>,
    options?: PublishEventOptions,
  ): Promise<EventOf<typeof UserEvents.updated>> {
    return this.publish(UserEvents.updated, data, options);
  }

  /** Publishes `user.login`. */
  publishUserLogin(
    data: Data<typeof UserEvents.login>,
    options?: PublishEventOptions,
  ): Promise<EventOf<typeof UserEvents.login>> {
    return this.publish(UserEvents.login, data, options);
  }

  /** Publishes `product.created`. */
  publishProductCreated(
    data: Data<typeof ProductEvents.created>,
    options?: PublishEventOptions,
  ): Promise<EventOf<typeof ProductEvents.created>> {
    return this.publish(ProductEvents.created, data, options);
  }

  /** Publishes `product.updated`. */
  publishProductUpdated(
    data: Data<typeof ProductEvents.updated>,
    options?: PublishEventOptions,
  ): Promise<EventOf<typeof ProductEvents.updated>> {
    return this.publish(ProductEvents.updated, data, options);
  }

  /** Publishes `product.stock_updated`. */
  publishProductStockUpdated(
    data: Data<typeof ProductEvents.stockUpdated>,
    options?: PublishEventOptions,
  ): Promise<EventOf<typeof ProductEvents.stockUpdated>> {
    return this.publish(ProductEvents.stockUpdated, data, options);
  }

  /** Publishes `system.health_check`. */
  publishHealthCheck(
    data: Data<typeof SystemEvents.healthCheck>,
    options?: PublishEventOptions,
  ): Promise<EventOf<typeof SystemEvents.healthCheck>> {
    return this.publish(SystemEvents.healthCheck, data, options);
  }

  /** Publishes `system.error`. */
  publishError(
    data: Data<typeof SystemEvents.error>,
    options?: PublishEventOptions,
  ): Promise<EventOf<typeof SystemEvents.error>> {
    return this.publish(SystemEvents.error, data, options);
  }
}
