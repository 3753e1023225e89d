import type { EventDefinition, EventOf } from './define-event.js';
import type { EventEnvelope } from './envelope.js';

/**
 * What a handler gets besides the event.
 *
 * @example
 * import { EventBus, EventSubscriber, memoryTransport, UserEvents } from 'switchboard';
 * const bus = new EventBus({ source: 'mailer', transport: memoryTransport() });
 * new EventSubscriber(bus, { group: 'mailer' }).on(UserEvents.created, async (event, context) => {
 *   if (context.deliveryCount > 1) console.log('retrying', context.messageId);
 *   await fetch('https://mail.example/send', { method: 'POST', signal: context.signal });
 * });
 */
export type HandlerContext = {
  /** 1 on the first delivery to this group; more after failures or a crashed consumer. */
  readonly deliveryCount: number;
  /** Aborts when the subscriber stops without draining. */
  readonly signal: AbortSignal;
  /** The transport's id of the message. */
  readonly messageId: string;
};

/** A handler of one event definition's events, with typed `event.data`. */
export type EventHandler<D extends EventDefinition> = (
  event: EventOf<D>,
  context: HandlerContext,
) => Promise<void> | void;

/** A handler of any event (see `subscriber.onAny`). */
export type AnyEventHandler = (
  event: EventEnvelope,
  context: HandlerContext,
) => Promise<void> | void;

/**
 * What `subscriber.health()` reports.
 *
 * @example
 * import { EventBus, EventSubscriber, memoryTransport } from 'switchboard';
 * const bus = new EventBus({ source: 'mailer', transport: memoryTransport() });
 * const { running, inFlight, pending, lastError } = new EventSubscriber(bus, { group: 'mailer' }).health();
 */
export type SubscriberHealth = {
  /** Started and not stopped. */
  readonly running: boolean;
  /**
   * Running and able to read: false while the transport is unreachable or a
   * read's connection went silent, until a read succeeds again (then the
   * `reconnected` event fires).
   */
  readonly connected: boolean;
  /** Handlers running now. */
  readonly inFlight: number;
  /** Events delivered to this group and not yet acknowledged (as the transport counts them). */
  readonly pending: number;
  /** The last handler error or poison reason, as text. */
  readonly lastError: string | undefined;
  /** Events acked without a handler: their type had none and there was no `onAny`. */
  readonly unhandled: number;
  /** Events acked without running the handler because `dedupe` had seen their id. */
  readonly duplicates: number;
  /**
   * Events on the subscribed topics this group has not read yet, as of the
   * transport's last look (Redis: every `claimIdleMs / 2`); `undefined` when
   * the transport cannot tell.
   */
  readonly lag: number | undefined;
  /**
   * Events of the subscribed topics this process found lost to retention
   * (Redis: a stream trimmed to `maxLen` before the group acknowledged them);
   * each lost event is counted by one consumer of the group (in broadcast
   * mode: by each subscriber that missed it). Also the `trimmed` event.
   */
  readonly trimmed: number;
};

/**
 * A subscriber's lifecycle events, on `subscriber.events.on(name, fn)`.
 *
 * @example
 * import { EventBus, EventSubscriber, memoryTransport } from 'switchboard';
 * const bus = new EventBus({ source: 'mailer', transport: memoryTransport() });
 * const subscriber = new EventSubscriber(bus, { group: 'mailer' });
 * subscriber.events.on('dead-lettered', ({ reason, messageId }) => console.warn(reason, messageId));
 */
export type EventSubscriberEvents = {
  /** A handler succeeded; the event will be acknowledged. */
  delivered: {
    readonly event: EventEnvelope;
    readonly messageId: string;
    readonly deliveryCount: number;
    readonly durationMs: number;
  };
  /**
   * A handler threw. `final` when this was the last allowed delivery (durable
   * mode: the transport dead-letters it; broadcast mode: never retried).
   */
  'handler-failed': {
    readonly event: EventEnvelope;
    readonly messageId: string;
    readonly deliveryCount: number;
    readonly error: unknown;
    readonly final: boolean;
  };
  /** The subscriber refused a message for good (its data does not match the definition). */
  'dead-lettered': {
    readonly event: EventEnvelope;
    readonly messageId: string;
    readonly reason: string;
    readonly error: unknown;
  };
  started: {
    readonly group: string;
    readonly consumer: string;
    readonly topics: readonly string[];
  };
  stopped: { readonly group: string; readonly consumer: string; readonly drained: boolean };
  /** Reading resumed after failures (a dropped connection, a restarted Redis). */
  reconnected: {
    readonly group: string;
    readonly consumer: string;
    readonly failures: number;
    readonly downMs: number;
  };
  /**
   * The transport found that the broker lost state this subscriber relied on
   * (on Redis: its consumer group vanished, as after a restart without
   * persistence), so events may have been lost. Once per incident; the
   * subscriber recovers by itself. Alert on it, reconcile if you can.
   */
  'possible-data-loss': {
    readonly group: string;
    readonly consumer: string;
    readonly topics: readonly string[];
    readonly reason: string;
  };
  /**
   * Events of `topic` were removed by retention (Redis: `maxLen` trimming)
   * before this group acknowledged them, and no handler will see them:
   * `unread` the group never read, `pending` a dead consumer of the group
   * held. Each lost event is reported once per group, by one of its
   * consumers — unread ones when the group's position shows them, at the
   * latest once it catches up. In broadcast mode each subscriber reports the
   * events it never read itself (while reconnecting, or lagging), as
   * `unread`. Size `maxLen` for the longest lag you accept, or leave it unset.
   */
  trimmed: {
    readonly group: string;
    readonly consumer: string;
    readonly topic: string;
    readonly unread: number;
    readonly pending: number;
  };
};
