import { isSwitchboardError } from '../errors.js';

/** Methods safe to send twice (RFC 9110 §9.2.2). */
export const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set([
  'GET',
  'HEAD',
  'PUT',
  'DELETE',
  'OPTIONS',
]);

const RETRYABLE_STATUS: ReadonlySet<number> = new Set([408, 425, 429, 500, 502, 503, 504]);

/**
 * Whether an attempt's failure is worth another attempt: the request may not
 * have been processed (network error, timeout), the service said "later"
 * (408, 425, 429, 503 …), or a half-open breaker had no probe slot (another
 * instance may). Never a 4xx about auth or validation, never a bad body.
 */
export function isRetryableFailure(error: unknown): boolean {
  if (isSwitchboardError(error, 'HTTP_ERROR')) return RETRYABLE_STATUS.has(error.status);
  return (
    isSwitchboardError(error, 'NETWORK_ERROR') ||
    isSwitchboardError(error, 'TIMEOUT') ||
    isSwitchboardError(error, 'CIRCUIT_OPEN')
  );
}
