import type { FastifyReply, FastifyRequest } from 'fastify';
import { requestCorrelation } from './correlation.js';
import type { Unavailability } from './dependency-error.js';
import type { ErrorBody } from './schemas.js';

/** Answers 503 with a body naming the dependency and why, and `Retry-After` when known. */
export function sendUnavailable(
  request: FastifyRequest,
  reply: FastifyReply,
  dependency: string,
  cause: Unavailability,
  message: string,
): FastifyReply {
  const body: ErrorBody = {
    error: 'dependency_unavailable',
    message,
    correlationId: requestCorrelation(request).correlationId,
    dependency,
    reason: cause.reason,
    ...(cause.retryAfterMs === undefined ? {} : { retryAfterMs: cause.retryAfterMs }),
  };
  if (cause.retryAfterMs !== undefined) {
    void reply.header('retry-after', String(Math.max(1, Math.ceil(cause.retryAfterMs / 1_000))));
  }
  return reply.code(503).send(body);
}

/** Answers `status` with an error body carrying the request's correlation id. */
export function sendError(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  error: string,
  message: string,
): FastifyReply {
  const body: ErrorBody = {
    error,
    message,
    correlationId: requestCorrelation(request).correlationId,
  };
  if (status === 401) void reply.header('www-authenticate', 'Bearer');
  return reply.code(status).send(body);
}
