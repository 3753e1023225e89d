/**
 * switchboard: resilient HTTP calls and durable typed events between Node
 * services. Every public name is listed here; nothing from `internal/` is.
 *
 * @module
 */

// errors
export {
  AbortError,
  CircuitOpenError,
  HttpError,
  InvalidResponseError,
  InvalidUrlError,
  NetworkError,
  ResponseValidationError,
  RetryExhaustedError,
  ServiceNotFoundError,
  ServiceUnavailableError,
  SwitchboardError,
  TimeoutError,
  abortErrorFrom,
  isAbortError,
  isClientError,
  isSwitchboardError,
} from './errors.js';
export type {
  InvalidResponseReason,
  RetryStopReason,
  SchemaIssue,
  SwitchboardErrorByCode,
  SwitchboardErrorCode,
  SwitchboardErrorOptions,
} from './errors.js';

// context
export { currentCorrelation, newCorrelationId, withCorrelation } from './context/correlation.js';
export type { CorrelationContext } from './context/correlation.js';
export {
  childTraceparent,
  createTraceparent,
  formatTraceparent,
  parseTraceparent,
} from './context/traceparent.js';
export type { TraceContext } from './context/traceparent.js';

// resilience
export { CircuitBreaker } from './resilience/circuit-breaker.js';
export type {
  BreakerCallContext,
  CircuitBreakerEvents,
  CircuitBreakerOptions,
  CircuitBreakerStats,
  CircuitState,
} from './resilience/circuit-breaker.js';
export type { BreakerStrategy } from './resilience/breaker/breaker-strategy.js';
export { ConsecutiveFailures } from './resilience/breaker/consecutive-failures.js';
export { FailureRate } from './resilience/breaker/failure-rate.js';
export type { FailureRateOptions } from './resilience/breaker/failure-rate.js';
export { RetryPolicy } from './resilience/retry.js';
export type {
  RetryAttemptContext,
  RetryExecuteOptions,
  RetryInfo,
  RetryOptions,
} from './resilience/retry.js';
