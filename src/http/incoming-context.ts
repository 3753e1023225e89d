import { newCorrelationId, type CorrelationContext } from '../context/correlation.js';
import { parseTraceparent } from '../context/traceparent.js';

/** The header carrying the correlation id between services. */
export const CORRELATION_ID_HEADER = 'x-correlation-id';
/**
 * The header carrying the caller's remaining time budget, in milliseconds.
 * Relative, not an absolute time, so clock skew between hosts does not eat it
 * (gRPC's `grpc-timeout` makes the same choice).
 */
export const REQUEST_TIMEOUT_HEADER = 'x-request-timeout-ms';

type HeaderSource = Headers | Readonly<Record<string, string | readonly string[] | undefined>>;

/**
 * Reads what an inbound request carries — correlation id, `traceparent`,
 * remaining time budget — into a context for {@link withCorrelation}, so the
 * service's own outbound calls continue the conversation and inherit the
 * deadline. Invalid values are dropped, never trusted.
 *
 * @example
 * import { correlationFromHeaders, withCorrelation } from 'switchboard';
 * import { createServer } from 'node:http';
 * createServer((req, res) => {
 *   withCorrelation(correlationFromHeaders(req.headers), () => res.end('ok'));
 * });
 */
export function correlationFromHeaders(
  headers: HeaderSource,
  now = Date.now(),
): Partial<CorrelationContext> {
  const read = (name: string): string | undefined => {
    const value = headers instanceof Headers ? headers.get(name) : headers[name];
    const first = Array.isArray(value) ? (value as readonly string[])[0] : value;
    return typeof first === 'string' ? first : undefined;
  };
  const context: { -readonly [K in keyof CorrelationContext]?: CorrelationContext[K] } = {};
  const correlationId = read(CORRELATION_ID_HEADER)?.trim();
  // Bounded and printable: the id is logged and echoed downstream.
  if (correlationId !== undefined && /^[\x21-\x7e]{1,128}$/.test(correlationId)) {
    context.correlationId = correlationId;
  }
  const traceparent = read('traceparent')?.trim();
  if (traceparent !== undefined && parseTraceparent(traceparent) !== undefined) {
    context.traceparent = traceparent;
  }
  const timeout = read(REQUEST_TIMEOUT_HEADER)?.trim();
  if (timeout !== undefined && /^\d{1,10}$/.test(timeout)) {
    context.deadlineAt = now + Number(timeout);
  }
  return context;
}

/**
 * {@link correlationFromHeaders}, completed: the caller's correlation id, or a
 * new one when it sent none (or an invalid one). What a service needs to echo
 * the id in its response and enter the context for its handler, with any
 * framework.
 *
 * @example
 * import { CORRELATION_ID_HEADER, incomingCorrelation, withCorrelation } from 'switchboard';
 * import { createServer } from 'node:http';
 * createServer((req, res) => {
 *   const context = incomingCorrelation(req.headers);
 *   res.setHeader(CORRELATION_ID_HEADER, context.correlationId);
 *   withCorrelation(context, () => res.end('ok'));
 * });
 */
export function incomingCorrelation(headers: HeaderSource, now = Date.now()): CorrelationContext {
  const context = correlationFromHeaders(headers, now);
  return { ...context, correlationId: context.correlationId ?? newCorrelationId() };
}
