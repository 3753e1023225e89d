import { isSwitchboardError } from 'switchboard';

/** Why a dependency could not answer, when the failure means "it is unavailable". */
export type Unavailability = {
  /** switchboard's error code: `CIRCUIT_OPEN`, `NETWORK_ERROR`, `TIMEOUT`, … */
  readonly reason: string;
  readonly retryAfterMs: number | undefined;
};

/**
 * Whether `error`, thrown by a `ServiceClient` call, says the service is
 * unavailable (as opposed to answering "no", which the caller handles):
 * unreachable, timing out, failing with 5xx, or behind an open breaker. A
 * `RetryExhaustedError` is judged by its last attempt.
 */
export function unavailability(error: unknown): Unavailability | undefined {
  const last = isSwitchboardError(error, 'RETRY_EXHAUSTED') ? error.cause : error;
  if (isSwitchboardError(last, 'CIRCUIT_OPEN')) {
    // Infinity when isolated by hand: no time to promise.
    const { retryAfterMs } = last;
    return {
      reason: last.code,
      retryAfterMs: Number.isFinite(retryAfterMs) ? Math.ceil(retryAfterMs) : undefined,
    };
  }
  if (isSwitchboardError(last, 'HTTP_ERROR')) {
    return last.status >= 500 || last.status === 429
      ? { reason: `${last.code} ${last.status}`, retryAfterMs: last.retryAfterMs }
      : undefined;
  }
  const unreachable = [
    'NETWORK_ERROR',
    'TIMEOUT',
    'SERVICE_UNAVAILABLE',
    'SERVICE_NOT_FOUND',
    'INVALID_RESPONSE',
  ];
  if (isSwitchboardError(last) && unreachable.includes(last.code)) {
    return { reason: last.code, retryAfterMs: undefined };
  }
  return undefined;
}
