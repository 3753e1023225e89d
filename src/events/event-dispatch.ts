import { performance } from 'node:perf_hooks';
import { runWithCorrelation, type CorrelationContext } from '../context/correlation.js';
import { isSwitchboardError } from '../errors.js';
import { isPromiseLike } from '../internal/promise-like.js';
import type { TypedEmitter } from '../internal/typed-emitter.js';
import type { Logger } from '../logger.js';
import { parseDecoded, type EventDefinition } from './define-event.js';
import type { EventEnvelope } from './envelope.js';
import type { BusDelivery } from './event-bus-options.js';
import type { SubscriberSettings } from './subscriber-options.js';
import type { AnyEventHandler, EventSubscriberEvents } from './subscriber-events.js';
import type { DedupeStore } from './dedupe.js';
import type { PoisonVerdict } from './transport.js';

/** A registered `on(definition, handler)`. */
export type Route = { readonly definition: EventDefinition; readonly handler: AnyEventHandler };

/** The subscriber's counters, updated by {@link dispatchEvent}. */
export type DispatchStats = {
  lastError: string | undefined;
  unhandled: number;
  duplicates: number;
};

/** Everything {@link dispatchEvent} needs from its subscriber. */
export type Dispatcher = {
  readonly routes: ReadonlyMap<string, Route>;
  readonly any: AnyEventHandler | undefined;
  readonly settings: SubscriberSettings;
  readonly dedupe: DedupeStore | undefined;
  readonly emitter: TypedEmitter<EventSubscriberEvents>;
  readonly stats: DispatchStats;
  readonly logger: Logger;
};

/**
 * Routes one decoded event to its handler, inside the event's correlation
 * context. Acknowledges (returns or resolves to `undefined`: handled, a
 * duplicate, or a type nobody handles), dead-letters (a {@link PoisonVerdict}
 * when the data does not match the definition), or rejects with the
 * handler's error so the transport retries. A handler that finished at once
 * gets its result at once, with no promise made (ADR 0024).
 */
export function dispatchEvent(
  d: Dispatcher,
  event: EventEnvelope,
  delivery: BusDelivery,
): PoisonVerdict | undefined | Promise<PoisonVerdict | undefined> {
  const route = d.routes.get(event.type);
  const handler = route?.handler ?? d.any;
  if (handler === undefined) {
    d.stats.unhandled += 1;
    d.logger.debug({ type: event.type, id: event.id }, 'event acked: no handler for its type');
    return undefined;
  }
  let typed = event;
  if (route !== undefined) {
    try {
      typed = parseDecoded(route.definition, event);
    } catch (error) {
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      if (!isSwitchboardError(error, 'EVENT_VALIDATION')) return Promise.reject(error);
      d.stats.lastError = `invalid-data: ${error.message}`;
      d.emitter.emit('dead-lettered', {
        event,
        messageId: delivery.message.id,
        reason: 'invalid-data',
        error,
      });
      return { poison: true, reason: 'invalid-data', error };
    }
  }
  const { settings } = d;
  const dedupe = settings.dedupeTtlMs === undefined ? undefined : d.dedupe;
  if (dedupe !== undefined) return dispatchOnce(d, dedupe, typed, delivery, handler);
  // Timed only when someone listens: this runs for every event.
  const started = d.emitter.has('delivered') ? performance.now() : undefined;
  let result: unknown;
  try {
    result = callHandler(handler, typed, delivery);
  } catch (error) {
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
    return Promise.reject(failed(d, typed, delivery, error));
  }
  if (!isPromiseLike(result)) {
    delivered(d, typed, delivery, started);
    return undefined;
  }
  return Promise.resolve(result).then(
    () => {
      delivered(d, typed, delivery, started);
      return undefined;
    },
    (error: unknown) => {
      throw failed(d, typed, delivery, error);
    },
  );
}

/** {@link dispatchEvent} with `dedupe`: the handler runs only for the delivery that claims the event. */
async function dispatchOnce(
  d: Dispatcher,
  dedupe: DedupeStore,
  typed: EventEnvelope,
  delivery: BusDelivery,
  handler: AnyEventHandler,
): Promise<undefined> {
  const { settings } = d;
  const key = `${settings.group}:${typed.id}`;
  // A redelivery may find the claim of its own earlier delivery, whose
  // consumer died or lost its link: retaken, never acknowledged unhandled.
  const retake = delivery.message.deliveryCount > 1;
  if (!(await dedupe.claim(key, settings.claimIdleMs, retake ? { retake } : undefined))) {
    d.stats.duplicates += 1;
    return undefined;
  }
  const started = d.emitter.has('delivered') ? performance.now() : undefined;
  try {
    const result = callHandler(handler, typed, delivery);
    if (isPromiseLike(result)) await result;
  } catch (error) {
    await dedupe.release(key).catch((releaseError: unknown) => {
      d.logger.warn({ key, error: releaseError }, 'dedupe release failed');
    });
    throw failed(d, typed, delivery, error);
  }
  // The handler ran: a failure to remember it must not make the transport run it again.
  await dedupe.complete(key, settings.dedupeTtlMs as number).catch((completeError: unknown) => {
    d.logger.warn({ key, error: completeError }, 'dedupe complete failed');
  });
  delivered(d, typed, delivery, started);
  return undefined;
}

function callHandler(
  handler: AnyEventHandler,
  typed: EventEnvelope,
  { message, signal }: BusDelivery,
): unknown {
  const context = { deliveryCount: message.deliveryCount, signal, messageId: message.id };
  return runWithCorrelation(correlationOf(typed), handler, typed, context);
}

/** Reports a handler's failure; returns the error, to be rethrown. */
function failed(
  d: Dispatcher,
  typed: EventEnvelope,
  { message }: BusDelivery,
  error: unknown,
): unknown {
  const { settings } = d;
  d.stats.lastError = error instanceof Error ? error.message : String(error);
  const final = settings.mode === 'broadcast' || message.deliveryCount >= settings.maxDeliveries;
  d.emitter.emit('handler-failed', {
    event: typed,
    messageId: message.id,
    deliveryCount: message.deliveryCount,
    error,
    final,
  });
  return error;
}

function delivered(
  d: Dispatcher,
  typed: EventEnvelope,
  { message }: BusDelivery,
  started: number | undefined,
): void {
  if (started === undefined) return;
  d.emitter.emit('delivered', {
    event: typed,
    messageId: message.id,
    deliveryCount: message.deliveryCount,
    durationMs: performance.now() - started,
  });
}

// The handler's work belongs to the event's conversation, caused by the event itself.
function correlationOf(event: EventEnvelope): Partial<CorrelationContext> {
  const { correlationid: correlationId, id: causationId, traceparent } = event;
  return traceparent === undefined
    ? { correlationId, causationId }
    : { correlationId, causationId, traceparent };
}
