import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { invalidOption, integerOption, nameOption, timerOption } from '../internal/options.js';
import type { Logger } from '../logger.js';
import { backoffDelay } from '../resilience/backoff.js';
import type { DedupeStore } from './dedupe.js';
import type { DeliveryMode, StartPosition } from './transport.js';

/**
 * Options of {@link EventSubscriber}.
 *
 * @example
 * import { EventBus, EventSubscriber, memoryTransport } from 'switchboard';
 * const bus = new EventBus({ source: 'notifications', transport: memoryTransport() });
 * const subscriber = new EventSubscriber(bus, {
 *   group: 'notifications',
 *   concurrency: 4,
 *   maxDeliveries: 3,
 *   dedupe: { ttlMs: 24 * 60 * 60 * 1000 },
 * });
 */
export type EventSubscriberOptions = {
  /** The consumer group: the subscribing service's name. Each group gets each event once. */
  readonly group: string;
  /**
   * This process's stable, unique name within the group.
   * @default `${hostname}-${pid}-${random}`
   */
  readonly consumer?: string;
  /**
   * Handlers in flight at most; a durable transport reads no more than its free slots.
   * @default 10
   */
  readonly concurrency?: number;
  /**
   * Deliveries of a failing event before it is dead-lettered.
   * @default 5
   */
  readonly maxDeliveries?: number;
  /**
   * An event pending this long on a consumer that stopped renewing it is taken over.
   * @default 30_000
   */
  readonly claimIdleMs?: number;
  /**
   * The backoff cap of the first retry; the cap doubles each failed delivery
   * (full jitter: a random wait in [0, cap)).
   * @default 100
   */
  readonly retryBaseDelayMs?: number;
  /**
   * The largest backoff cap.
   * @default 30_000
   */
  readonly retryMaxDelayMs?: number;
  /**
   * Where a new group starts reading: `'latest'`, `'earliest'` or `{ afterId }`.
   * @default 'latest'
   */
  readonly start?: StartPosition;
  /**
   * `'durable'` (each group gets each event once, retried, dead-lettered) or
   * `'broadcast'` (every live subscriber gets it, best effort).
   * @default 'durable'
   */
  readonly mode?: DeliveryMode;
  /**
   * Skip an event id this group already handled within `ttlMs` (acked without
   * running the handler). `store` defaults to the transport's shared store (Redis:
   * `SET NX`, seen by every process of the group), else an in-memory store of this process.
   * @default no deduplication
   */
  readonly dedupe?: { readonly ttlMs: number; readonly store?: DedupeStore };
  /**
   * Where the subscriber logs.
   * @default the bus's logger
   */
  readonly logger?: Logger;
};

/** The options with defaults applied and checked. */
export type SubscriberSettings = {
  readonly group: string;
  readonly consumer: string;
  readonly concurrency: number;
  readonly maxDeliveries: number;
  readonly claimIdleMs: number;
  readonly retryDelayMs: (deliveryCount: number) => number;
  readonly start: StartPosition;
  readonly mode: DeliveryMode;
  readonly dedupeTtlMs: number | undefined;
  readonly dedupeStore: DedupeStore | undefined;
  readonly logger: Logger | undefined;
};

/** Applies the defaults of {@link EventSubscriberOptions} and validates every field. */
export function subscriberSettings(options: EventSubscriberOptions): SubscriberSettings {
  const baseDelayMs = timerOption('retryBaseDelayMs', options.retryBaseDelayMs ?? 100, 0);
  const maxDelayMs = timerOption('retryMaxDelayMs', options.retryMaxDelayMs ?? 30_000, 0);
  const mode = options.mode ?? 'durable';
  if ((mode as string) !== 'durable' && (mode as string) !== 'broadcast') {
    invalidOption('mode', `expected 'durable' or 'broadcast', got ${mode}`, TypeError);
  }
  return {
    group: nameOption('group', options.group),
    consumer: nameOption('consumer', options.consumer ?? defaultConsumer()),
    concurrency: integerOption('concurrency', options.concurrency ?? 10),
    maxDeliveries: integerOption('maxDeliveries', options.maxDeliveries ?? 5),
    claimIdleMs: timerOption('claimIdleMs', options.claimIdleMs ?? 30_000),
    retryDelayMs: (deliveryCount) =>
      backoffDelay(deliveryCount, { baseDelayMs, maxDelayMs, factor: 2, jitter: 'full' }),
    start: startOption(options.start ?? 'latest'),
    mode,
    dedupeTtlMs:
      options.dedupe === undefined ? undefined : timerOption('dedupe.ttlMs', options.dedupe.ttlMs),
    dedupeStore: options.dedupe?.store,
    logger: options.logger,
  };
}

function defaultConsumer(): string {
  return `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
}

function startOption(start: StartPosition): StartPosition {
  if (start === 'latest' || start === 'earliest') return start;
  if (typeof start === 'object' && typeof start.afterId === 'string' && start.afterId !== '') {
    return start;
  }
  return invalidOption('start', "expected 'latest', 'earliest' or { afterId }", TypeError);
}
