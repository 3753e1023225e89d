import type {
  ClosedError,
  ContractViolationError,
  EventDecodeError,
  EventValidationError,
  NotReplicatedError,
  TransportError,
} from './event-errors.js';
import {
  AbortError,
  TimeoutError,
  type CircuitOpenError,
  type RetryExhaustedError,
} from './resilience-errors.js';
import type {
  HostNotAllowedError,
  HttpError,
  InvalidResponseError,
  InvalidUrlError,
  NetworkError,
  RegistryStoreError,
  ResponseValidationError,
  ServiceNotFoundError,
  ServiceUnavailableError,
} from './service-errors.js';
import { MARKER, type SwitchboardError } from './switchboard-error.js';

/** Every error class by its code; {@link isSwitchboardError} narrows with it. */
export type SwitchboardErrorByCode = {
  SWITCHBOARD_ERROR: SwitchboardError;
  CIRCUIT_OPEN: CircuitOpenError;
  TIMEOUT: TimeoutError;
  ABORTED: AbortError;
  RETRY_EXHAUSTED: RetryExhaustedError;
  SERVICE_NOT_FOUND: ServiceNotFoundError;
  SERVICE_UNAVAILABLE: ServiceUnavailableError;
  INVALID_URL: InvalidUrlError;
  HOST_NOT_ALLOWED: HostNotAllowedError;
  NETWORK_ERROR: NetworkError;
  HTTP_ERROR: HttpError;
  RESPONSE_VALIDATION: ResponseValidationError;
  INVALID_RESPONSE: InvalidResponseError;
  REGISTRY_STORE: RegistryStoreError;
  EVENT_VALIDATION: EventValidationError;
  EVENT_DECODE: EventDecodeError;
  CLOSED: ClosedError;
  TRANSPORT: TransportError;
  NOT_REPLICATED: NotReplicatedError;
  CONTRACT_VIOLATION: ContractViolationError;
};

/** The codes the library's own errors carry. */
export type SwitchboardErrorCode = keyof SwitchboardErrorByCode;

/**
 * True when `value` is an error thrown by switchboard (optionally with the given
 * code). Works across copies of the package, unlike `instanceof`.
 *
 * @example
 * import { isSwitchboardError } from 'switchboard';
 * if (isSwitchboardError(error, 'CIRCUIT_OPEN')) console.log(error.retryAfterMs);
 */
export function isSwitchboardError<C extends SwitchboardErrorCode>(
  value: unknown,
  code: C,
): value is SwitchboardErrorByCode[C];
export function isSwitchboardError(value: unknown): value is SwitchboardError;
export function isSwitchboardError(value: unknown, code?: string): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Record<symbol, unknown>)[MARKER] === true &&
    (code === undefined || (value as SwitchboardError).code === code)
  );
}

/**
 * True for errors that blame the caller rather than the callee: a
 * {@link SwitchboardError} with `isClientError`, or any error object carrying
 * `isClientError: true` (so applications can mark their own).
 */
export function isClientError(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { isClientError?: unknown }).isClientError === true
  );
}

/**
 * True when `error` means "the caller gave up": our {@link AbortError}, or a
 * platform abort (`DOMException` named `AbortError`).
 */
export function isAbortError(error: unknown): boolean {
  return (
    isSwitchboardError(error, 'ABORTED') ||
    (error instanceof Error && error.name === 'AbortError' && !isSwitchboardError(error))
  );
}

/**
 * The error to throw for an aborted signal, consistent everywhere:
 * - a reason that is already a {@link SwitchboardError} (our own deadline, say)
 *   is thrown as it is;
 * - `AbortSignal.timeout()`'s `DOMException` becomes a {@link TimeoutError};
 * - anything else becomes an {@link AbortError} whose `cause` is the reason.
 */
export function abortErrorFrom(signal: AbortSignal): SwitchboardError {
  const reason: unknown = signal.reason;
  if (isSwitchboardError(reason)) return reason;
  if (reason instanceof Error && reason.name === 'TimeoutError') {
    return new TimeoutError('The operation timed out (signal)', { cause: reason });
  }
  return new AbortError('The operation was aborted', { cause: reason });
}
