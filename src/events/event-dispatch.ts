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
 * context. Resolves to acknowledge (handled, a duplicate, or a type nobody
 * handles), to a {@link PoisonVerdict} when the data does not match the
 * definition, and rejects with the handler's error so the transport retries.
 */
export async function dispatchEvent(
  d: Dispatcher,
  event: EventEnvelope,
  { message, signal }: BusDelivery,
): Promise<PoisonVerdict | undefined> {
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
      if (!isSwitchboardError(error, 'EVENT_VALIDATION')) throw error;
      d.stats.lastError = `invalid-data: ${error.message}`;
      d.emitter.emit('dead-lettered', {
        event,
        messageId: message.id,
        reason: 'invalid-data',
        error,
      });
      return { poison: true, reason: 'invalid-data', error };
    }
  }
  const { settings } = d;
  const dedupe = settings.dedupeTtlMs === undefined ? undefined : d.dedupe;
  const key = dedupe === undefined ? '' : `${settings.group}:${event.id}`;
  if (dedupe !== undefined) {
    // A redelivery may find the claim of its own earlier delivery, whose
    // consumer died or lost its link: retaken, never acknowledged unhandled.
    const retake = message.deliveryCount > 1;
    if (!(await dedupe.claim(key, settings.claimIdleMs, retake ? { retake } : undefined))) {
      d.stats.duplicates += 1;
      return undefined;
    }
  }
  const context = { deliveryCount: message.deliveryCount, signal, messageId: message.id };
  // Timed only when someone listens: this runs for every event.
  const started = d.emitter.has('delivered') ? performance.now() : undefined;
  try {
    const result = runWithCorrelation(correlationOf(typed), handler, typed, context);
    // A handler that finished at once is not awaited: one promise less per event.
    if (isPromiseLike(result)) await result;
  } catch (error) {
    await dedupe?.release(key).catch((releaseError: unknown) => {
      d.logger.warn({ key, error: releaseError }, 'dedupe release failed');
    });
    d.stats.lastError = error instanceof Error ? error.message : String(error);
    const final = settings.mode === 'broadcast' || message.deliveryCount >= settings.maxDeliveries;
    d.emitter.emit('handler-failed', {
      event: typed,
      messageId: message.id,
      deliveryCount: message.deliveryCount,
      error,
      final,
    });
    throw error;
  }
  if (dedupe !== undefined) {
    // The handler ran: a failure to remember it must not make the transport run it again.
    await dedupe.complete(key, settings.dedupeTtlMs as number).catch((completeError: unknown) => {
      d.logger.warn({ key, error: completeError }, 'dedupe complete failed');
    });
  }
  if (started !== undefined) {
    d.emitter.emit('delivered', {
      event: typed,
      messageId: message.id,
      deliveryCount: message.deliveryCount,
      durationMs: performance.now() - started,
    });
  }
  return undefined;
}

// The handler's work belongs to the event's conversation, caused by the event itself.
function correlationOf(event: EventEnvelope): Partial<CorrelationContext> {
  const { correlationid: correlationId, id: causationId, traceparent } = event;
  return traceparent === undefined
    ? { correlationId, causationId }
    : { correlationId, causationId, traceparent };
}
