import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUuid } from '../internal/random-ids.js';

/**
 * What flows with a unit of work across HTTP calls and events, without the
 * application passing it by hand.
 */
export type CorrelationContext = {
  /** One id for the whole conversation, from the first request to the last event. */
  readonly correlationId: string;
  /** The W3C `traceparent` of the current span, when tracing is in play. */
  readonly traceparent?: string;
  /** The id of the message (event or request) that caused the current work. */
  readonly causationId?: string;
  /**
   * Epoch ms by which the current work must be done, when the caller set one
   * (an inbound request's `x-request-timeout-ms`); outbound calls never outlive it.
   */
  readonly deadlineAt?: number;
};

const storage = new AsyncLocalStorage<CorrelationContext>();

/** A new correlation id (a random UUID v4). */
export function newCorrelationId(): string {
  return randomUuid();
}

/**
 * Runs `fn` with a correlation context that every async continuation inside it
 * sees through {@link currentCorrelation}. A missing `correlationId` inherits
 * the surrounding one, or a new id when there is none.
 *
 * @example
 * import { withCorrelation, currentCorrelation } from 'switchboard';
 * await withCorrelation({ correlationId: 'req-1' }, async () => {
 *   currentCorrelation()?.correlationId; // 'req-1'
 * });
 */
export function withCorrelation<T>(context: Partial<CorrelationContext>, fn: () => T): T {
  return storage.run(nestedContext(context), fn);
}

/**
 * {@link withCorrelation} for hot paths: `fn` gets `args`, so the caller
 * needs no closure per call. Internal; not exported from the package.
 */
export function runWithCorrelation<A extends unknown[], T>(
  context: Partial<CorrelationContext>,
  fn: (...args: A) => T,
  ...args: A
): T {
  return storage.run(nestedContext(context), fn, ...args);
}

function nestedContext(context: Partial<CorrelationContext>): CorrelationContext {
  const outer = storage.getStore();
  const correlationId = context.correlationId ?? outer?.correlationId ?? newCorrelationId();
  if (typeof correlationId !== 'string' || correlationId.length === 0) {
    throw new TypeError('correlationId must be a non-empty string');
  }
  const traceparent = context.traceparent ?? outer?.traceparent;
  const causationId = context.causationId ?? outer?.causationId;
  // A nested unit of work may shorten the deadline, never extend it.
  const deadlineAt = earliest(context.deadlineAt, outer?.deadlineAt);
  // Assigned one by one, not spread: this runs for every event a handler gets.
  const next: { -readonly [K in keyof CorrelationContext]: CorrelationContext[K] } = {
    correlationId,
  };
  if (traceparent !== undefined) next.traceparent = traceparent;
  if (causationId !== undefined) next.causationId = causationId;
  if (deadlineAt !== undefined) next.deadlineAt = deadlineAt;
  return next;
}

/** The correlation context of the current async execution, if any. */
export function currentCorrelation(): CorrelationContext | undefined {
  return storage.getStore();
}

function earliest(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}
