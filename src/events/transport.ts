/**
 * The contract between the event bus and a transport (memory, Redis Streams,
 * later Kafka or NATS). Transports move opaque payloads between topics; they
 * know nothing of event types, schemas or envelopes: decoding, validation and
 * correlation live in the bus.
 *
 * @module
 */

import type { DedupeStore } from './dedupe.js';

/** One message as a transport hands it to a subscriber. */
export type TransportMessage = {
  /** The transport's id of the message (a stream entry id, a counter), unique per topic. */
  readonly id: string;
  readonly topic: string;
  /** The encoded event, as published. */
  readonly payload: string;
  /** 1 on the first delivery to this group; counts redeliveries after failures or crashes. */
  readonly deliveryCount: number;
  /**
   * Set when the transport received bytes that are not valid UTF-8 (a
   * foreign producer, a corrupted entry): `payload` then holds them with
   * U+FFFD in place of each bad sequence, and the bus dead-letters the
   * message as `'malformed-json'` instead of decoding that altered text.
   */
  readonly invalidText?: true;
};

/**
 * - `durable`: each consumer group gets each message once (at least once):
 *   acknowledged only after the handler succeeds, retried with backoff,
 *   dead-lettered after `maxDeliveries`.
 * - `broadcast`: every live subscription gets each message; best effort, no
 *   retries, nothing kept for subscribers that are not running.
 */
export type DeliveryMode = 'durable' | 'broadcast';

/** Where a new durable group starts reading. */
export type StartPosition = 'latest' | 'earliest' | { readonly afterId: string };

/** What a subscription asks of the transport. Defaults are applied by the bus. */
export type SubscriptionSpec = {
  readonly topics: readonly string[];
  readonly mode: DeliveryMode;
  /** The consumer group (durable mode): the subscribing service's name. */
  readonly group: string;
  /** This process's stable, unique name within the group. */
  readonly consumer: string;
  /** Handlers in flight at most; a durable transport reads no more than its free slots. */
  readonly concurrency: number;
  /** Deliveries before a failing message is dead-lettered. */
  readonly maxDeliveries: number;
  /** The wait before redelivering a message whose delivery `deliveryCount` failed. */
  readonly retryDelayMs: (deliveryCount: number) => number;
  /** A message pending this long on a consumer that stopped renewing it is taken over. */
  readonly claimIdleMs: number;
  readonly start: StartPosition;
  /**
   * Called when reading resumes after failures (a dropped connection, a
   * restarted server), with how many reads failed and for how long.
   */
  readonly onReconnected?: (info: { readonly failures: number; readonly downMs: number }) => void;
  /**
   * Called once per incident when the transport finds that the broker lost
   * state this subscription relied on — on Redis, its consumer group is gone
   * (a restart without persistence, or the stream or group deleted) — so
   * events stored in between may be lost. The subscription recovers by
   * itself; this is for alerting and reconciliation.
   */
  readonly onPossibleDataLoss?: (info: PossibleDataLoss) => void;
  /**
   * Called when the transport finds events of a topic that retention removed
   * before this group acknowledged them (on Redis: a stream trimmed to
   * `maxLen` past a lagging group). Each such event is counted once per
   * group, however many consumers it has; none reaches a handler. A
   * broadcast subscription reports the events it never read itself.
   */
  readonly onTrimmed?: (info: TrimmedEvents) => void;
};

/** Events lost to retention, found by a subscription; see {@link SubscriptionSpec.onTrimmed}. */
export type TrimmedEvents = {
  readonly topic: string;
  /** Removed before the group ever read them. */
  readonly unread: number;
  /** Read by a consumer of the group that then died, and removed before anyone acknowledged them. */
  readonly pending: number;
};

/**
 * What a handler resolves to when a message can never succeed (a payload that
 * does not decode, say): it goes straight to the dead-letter store, no retries.
 */
export type PoisonVerdict = {
  readonly poison: true;
  readonly reason: string;
  readonly error: unknown;
};

/**
 * Handles one message. Resolving acknowledges it; rejecting counts a failed
 * delivery (retried later, dead-lettered after `maxDeliveries`); resolving to
 * a {@link PoisonVerdict} dead-letters it at once. The signal aborts when the
 * subscription stops without draining.
 *
 * A handler that finished at once returns its result as it is, not in a
 * promise (ADR 0024): a transport settles such a message without waiting for
 * a turn of the event loop. It reports failure only by rejecting, never by
 * throwing: `await handler(message, signal)` copes with both forms of result.
 */
export type MessageHandler = (
  message: TransportMessage,
  signal: AbortSignal,
) => HandlerResult | Promise<HandlerResult>;

/**
 * What a {@link MessageHandler} resolves to: nothing (acknowledge) or a
 * {@link PoisonVerdict}. `void` rather than `undefined`, so a plain
 * `async (message) => { … }` is a handler as it is.
 */
// eslint-disable-next-line @typescript-eslint/no-invalid-void-type
export type HandlerResult = void | PoisonVerdict;

/** What a transport reports when it finds that the broker lost state; see {@link SubscriptionSpec.onPossibleDataLoss}. */
export type PossibleDataLoss = {
  readonly topics: readonly string[];
  /** What was found, in words: e.g. `'the consumer group vanished'`. */
  readonly reason: string;
};

/** A running subscription. */
export type TransportSubscription = {
  /**
   * Stops reading. With `drain` (the default) waits for handlers in flight
   * and acknowledges the ones that succeed (an acknowledgement that cannot
   * reach the broker during the stop is given up after one attempt: that
   * message stays pending and is redelivered later); without, aborts them
   * (their messages stay pending and are redelivered later).
   */
  stop(options?: { readonly drain?: boolean; readonly signal?: AbortSignal }): Promise<void>;
  /** Handlers in flight, and messages delivered to this group but not yet acknowledged. */
  stats(): SubscriptionStats;
};

/** What a running subscription reports about itself. */
export type SubscriptionStats = {
  /** Handlers running now. */
  readonly inFlight: number;
  /** Messages delivered and not yet acknowledged (as the transport counts them). */
  readonly pending: number;
  /**
   * Messages on the subscription's topics that its group has not read yet,
   * as of the transport's last look; `undefined` when it cannot tell.
   */
  readonly lag?: number | undefined;
  /**
   * Whether the subscription can read now: false while its reads fail (the
   * transport is unreachable, or its connection went silent) until one
   * succeeds again. Transports that cannot lose their connection leave it out.
   */
  readonly connected?: boolean;
  /** Events this subscription found lost to retention, as reported to `onTrimmed`. */
  readonly trimmed?: number;
};

/** A message that failed for good, kept with why. */
export type DeadLetter = {
  /** The dead letter's own id. */
  readonly id: string;
  readonly topic: string;
  readonly group: string;
  /** The original message id and payload. */
  readonly messageId: string;
  readonly payload: string;
  readonly reason: 'max-deliveries' | 'poison' | (string & {});
  /** The last error, as text (never an object graph). */
  readonly error: string;
  readonly deliveryCount: number;
  /** Epoch ms. */
  readonly failedAt: number;
};

/** Where dead letters go, and how they come back. */
export type DeadLetterStore = {
  list(options?: {
    readonly group?: string;
    readonly limit?: number;
    readonly signal?: AbortSignal;
  }): Promise<DeadLetter[]>;
  /** Re-delivers dead letters (by id, or all of a group) to the group that failed them. Returns how many. */
  redrive(
    selector: string | { readonly group: string },
    options?: { readonly signal?: AbortSignal },
  ): Promise<number>;
  delete(id: string, options?: { readonly signal?: AbortSignal }): Promise<boolean>;
};

/**
 * Replication a publish waits for: `replicas` replicas must confirm the
 * event within `timeoutMs` (Redis `WAIT` on the connection that stored it).
 */
export type PublishDurability = {
  /** Replicas that must hold the event. */
  readonly replicas: number;
  /** How long to wait for them; keep it under the transport's command timeout. */
  readonly timeoutMs: number;
};

/** What `health()` reports. */
export type TransportHealth = {
  readonly connected: boolean;
  readonly lastError: string | undefined;
};

/** A transport: publish payloads to topics, subscribe handlers, keep dead letters. */
export type EventTransport = {
  /** For logs and health: `'memory'`, `'redis'`, … */
  readonly kind: string;
  /**
   * Publishes one payload; resolves once the transport holds it (durably, for
   * durable transports), and with `durability`, once that many replicas hold
   * it too (else rejects with `NotReplicatedError`).
   */
  publish(
    topic: string,
    payload: string,
    options?: { readonly signal?: AbortSignal; readonly durability?: PublishDurability },
  ): Promise<string>;
  /** Publishes several payloads in one round trip, in order. */
  publishMany(
    messages: readonly { readonly topic: string; readonly payload: string }[],
    options?: { readonly signal?: AbortSignal },
  ): Promise<string[]>;
  subscribe(spec: SubscriptionSpec, handler: MessageHandler): Promise<TransportSubscription>;
  readonly deadLetters: DeadLetterStore;
  /**
   * A dedupe store every consumer of a group shares, when the transport has
   * one (Redis does). `EventSubscriber`'s `dedupe` option uses it by default;
   * without it, each process remembers on its own.
   */
  dedupeStore?(): DedupeStore;
  health(): Promise<TransportHealth>;
  /** Stops every subscription (draining) and releases what the transport owns. Idempotent. */
  close(): Promise<void>;
};
