import type { Logger } from '../logger.js';
import type { EventEnvelope } from './envelope.js';
import type {
  EventTransport,
  PoisonVerdict,
  PublishDurability,
  TransportHealth,
  TransportMessage,
} from './transport.js';

/**
 * Options of {@link EventBus}.
 *
 * @example
 * import { EventBus, memoryTransport } from 'switchboard';
 * const bus = new EventBus({
 *   source: 'product-service',
 *   transport: memoryTransport(),
 *   maxEventBytes: 256 * 1024,
 * });
 */
export type EventBusOptions = {
  /**
   * The publishing service, stamped as `source` on every event created without
   * one (`definition.create` leaves it `''`). Non-empty, no whitespace.
   */
  readonly source: string;
  /** Where events travel: `memoryTransport()`, `redisTransport(...)`, or your own. */
  readonly transport: EventTransport;
  /**
   * Whether `bus.close()` also closes the transport. Pass `false` to share one
   * transport between several buses.
   * @default true
   */
  readonly ownsTransport?: boolean;
  /**
   * The largest encoded event, in UTF-8 bytes, accepted on publish and on receive.
   * @default 1_048_576 (1 MiB)
   */
  readonly maxEventBytes?: number;
  /**
   * The deepest nesting of objects and arrays in an encoded event (the
   * envelope counting as 1), accepted on publish and on receive. Deeper
   * received events are dead-lettered (`'too-deep'`) before they are parsed.
   * @default 64
   */
  readonly maxEventDepth?: number;
  /**
   * Where the bus logs (pino's shape).
   * @default silentLogger
   */
  readonly logger?: Logger;
};

/**
 * Options of `bus.publish`.
 *
 * @example
 * import { EventBus, memoryTransport, ProductEvents } from 'switchboard';
 * const bus = new EventBus({ source: 'shop', transport: memoryTransport() });
 * const event = ProductEvents.created.create({ productId: 1, name: 'Pen', price: 2, createdBy: 7 });
 * await bus.publish(event, { topic: 'catalogue', signal: AbortSignal.timeout(1_000) });
 */
export type PublishOptions = {
  /**
   * The topic to publish on. Pass the definition's `topic` when it has a
   * custom one: an envelope alone knows only its `type`.
   * @default the type up to its first '.' (`'product.created'` → `'product'`)
   */
  readonly topic?: string;
  /** Aborts the publish (the transport may already hold the event). */
  readonly signal?: AbortSignal;
  /**
   * Waits until this many replicas hold the event too (Redis `WAIT`), so a
   * failover cannot lose it; when they do not confirm in time the publish
   * rejects with `NotReplicatedError` (the master still holds the event).
   * The memory transport has no replicas: it always rejects.
   * @default undefined (resolved once the master holds it)
   */
  readonly durability?: PublishDurability;
};

/** One item of `bus.publishMany`: an envelope, or an envelope with its topic. */
export type PublishItem = EventEnvelope | { readonly event: EventEnvelope; readonly topic: string };

/** What a subscriber's handler gets from the bus besides the decoded event. */
export type BusDelivery = {
  readonly message: TransportMessage;
  /** Aborts when the subscription stops without draining. */
  readonly signal: AbortSignal;
};

/**
 * A handler given to `bus.subscribe`: receives each message already decoded
 * into a valid envelope. Returns or resolves to nothing to acknowledge it,
 * throws or rejects to have it retried, returns or resolves to a
 * {@link PoisonVerdict} to dead-letter it at once. A handler that finishes at
 * once may return its result as it is: no promise is needed.
 */
export type BusMessageHandler = (
  event: EventEnvelope,
  delivery: BusDelivery,
) => PoisonVerdict | undefined | Promise<PoisonVerdict | undefined>;

/** What `bus.health()` reports: the transport's health plus the bus's own state. */
export type EventBusHealth = TransportHealth & {
  /** The transport's kind, e.g. `'memory'`. */
  readonly transport: string;
  readonly source: string;
  /** Subscriptions opened through this bus and still running. */
  readonly subscriptions: number;
  readonly closed: boolean;
};

/**
 * The bus's typed events, subscribed with `bus.on(name, fn)`.
 *
 * @example
 * import { EventBus, memoryTransport } from 'switchboard';
 * const bus = new EventBus({ source: 'shop', transport: memoryTransport() });
 * bus.on('dead-lettered', ({ topic, reason, error }) => console.warn(topic, reason, error));
 */
export type EventBusEvents = {
  /** An event the transport now holds. */
  published: {
    readonly event: EventEnvelope;
    readonly topic: string;
    /** The transport's id of the message. */
    readonly messageId: string;
  };
  /**
   * A message the bus saw go to the dead letters: poisoned (it does not
   * decode, or a subscriber refused it: `reason` says why), or failed on its
   * last allowed delivery (`reason: 'max-deliveries'`, inferred from the
   * subscription's `maxDeliveries`: the transport has no callback for it).
   */
  'dead-lettered': {
    readonly topic: string;
    readonly group: string;
    readonly messageId: string;
    readonly reason: string;
    readonly error: unknown;
    readonly deliveryCount: number;
    /** The event, when the message decoded. */
    readonly event: EventEnvelope | undefined;
    /**
     * The start of the payload as text, for a log line: at most 200
     * characters, control characters escaped, and values that look like
     * secrets (`password`, `token`, `authorization` keys, bearer tokens,
     * JWTs, URL credentials) replaced by `[redacted]`. The dead letter keeps
     * the whole payload.
     */
    readonly preview: string;
  };
};
