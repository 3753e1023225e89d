/**
 * One error hierarchy for the whole library. Every error a public API throws is
 * a {@link SwitchboardError} with a stable `code`; later layers add their
 * subclasses under `errors/`, by area, and this module exports the whole
 * vocabulary from one place.
 *
 * @module
 */

export { SwitchboardError, type SwitchboardErrorOptions } from './errors/switchboard-error.js';
export {
  AbortError,
  CircuitOpenError,
  RetryExhaustedError,
  TimeoutError,
  type RetryStopReason,
} from './errors/resilience-errors.js';
export type { SchemaIssue } from './errors/schema-issues.js';
export {
  HostNotAllowedError,
  HttpError,
  InvalidResponseError,
  InvalidUrlError,
  NetworkError,
  RegistryStoreError,
  ResponseValidationError,
  ServiceNotFoundError,
  ServiceUnavailableError,
  type HostNotAllowedReason,
  type InvalidResponseReason,
  type RegistryStoreErrorReason,
  type RegistryStoreOperation,
} from './errors/service-errors.js';
export {
  ClosedError,
  ContractViolationError,
  EventDecodeError,
  EventValidationError,
  NotReplicatedError,
  TransportError,
  type ContractViolation,
  type EventDecodeReason,
} from './errors/event-errors.js';
export {
  abortErrorFrom,
  isAbortError,
  isClientError,
  isSwitchboardError,
  type SwitchboardErrorByCode,
  type SwitchboardErrorCode,
} from './errors/error-guards.js';
