import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  CORRELATION_ID_HEADER,
  incomingCorrelation,
  newCorrelationId,
  withCorrelation,
  type CorrelationContext,
} from 'switchboard';

// Keyed by the raw request, so Fastify's request type needs no augmentation.
const contexts = new WeakMap<object, CorrelationContext>();

/**
 * Fastify glue for switchboard's correlation: every request gets the
 * correlation id, `traceparent` and remaining deadline its caller sent (or a
 * new id), echoed in `x-correlation-id`; its handler runs inside
 * `withCorrelation`, so the HTTP calls it makes through a `ServiceClient` and
 * the events it publishes carry the same id without being passed by hand.
 *
 * The context is entered in `preHandler`, not `onRequest`: Fastify parses the
 * body in between from stream callbacks, which do not keep an
 * `AsyncLocalStorage` context that was entered before them.
 */
export function installCorrelation(app: FastifyInstance): void {
  app.addHook('onRequest', (request, reply, done) => {
    const context = incomingCorrelation(request.headers);
    contexts.set(request.raw, context);
    void reply.header(CORRELATION_ID_HEADER, context.correlationId);
    done();
  });
  app.addHook('preHandler', (request, _reply, done) => {
    withCorrelation(requestCorrelation(request), done);
  });
}

/** The correlation context of `request` (set by {@link installCorrelation}). */
export function requestCorrelation(request: FastifyRequest): CorrelationContext {
  return contexts.get(request.raw) ?? { correlationId: newCorrelationId() };
}
