/**
 * One error hierarchy for the whole library. Every error a public API throws is
 * a {@link SwitchboardError} with a stable `code`; later layers add their
 * subclasses here so the whole vocabulary stays in one place.
 *
 * @module
 */

// A registry-wide symbol, so errors from two copies of the package (a bundler
// mistake, or `npm link`) are still recognised by `isSwitchboardError`.
const MARKER = Symbol.for('switchboard.error');

/** Options common to every {@link SwitchboardError}. */
export type SwitchboardErrorOptions = {
  /** The underlying error, kept as the standard `cause`. */
  readonly cause?: unknown;
};

/**
 * Base class of every error the library throws.
 *
 * Check for it with {@link isSwitchboardError} rather than `instanceof`, which
 * fails across two copies of the package.
 */
export class SwitchboardError extends Error {
  override readonly name: string = 'SwitchboardError';
  /** A stable, machine-readable code; never changes for a given class. */
  readonly code: SwitchboardErrorCode | (string & {}) = 'SWITCHBOARD_ERROR';
  /**
   * True when the error says the caller was wrong (a bad request), not that
   * the callee is unhealthy: breakers do not count it and retries skip it.
   */
  readonly isClientError: boolean = false;

  constructor(message: string, options: SwitchboardErrorOptions = {}) {
    super(message, 'cause' in options ? { cause: options.cause } : undefined);
  }

  static {
    // On the prototype, not each instance: keeps construction cheap (an open
    // breaker allocates one error per rejected call).
    Object.defineProperty(this.prototype, MARKER, { value: true });
  }
}

/** Thrown by a circuit breaker that is open (or half-open with no probe slot free). */
export class CircuitOpenError extends SwitchboardError {
  override readonly name = 'CircuitOpenError';
  override readonly code = 'CIRCUIT_OPEN';
  /** The breaker's name: usually the service or instance it guards. */
  readonly breaker: string;
  /** How long until the breaker lets a probe through; `Infinity` when isolated by hand. */
  readonly retryAfterMs: number;

  constructor(breaker: string, retryAfterMs: number) {
    super(
      Number.isFinite(retryAfterMs)
        ? `Circuit "${breaker}" is open; next probe in ${Math.ceil(retryAfterMs)} ms`
        : `Circuit "${breaker}" is isolated; it stays open until reset()`,
    );
    this.breaker = breaker;
    this.retryAfterMs = retryAfterMs;
  }
}

/** An operation ran past its time limit (an attempt timeout or a total deadline). */
export class TimeoutError extends SwitchboardError {
  override readonly name = 'TimeoutError';
  override readonly code = 'TIMEOUT';
  /** The limit that was exceeded, when known. */
  readonly timeoutMs: number | undefined;

  constructor(message: string, options: SwitchboardErrorOptions & { timeoutMs?: number } = {}) {
    super(message, options);
    this.timeoutMs = options.timeoutMs;
  }
}

/** The caller aborted the operation through its `AbortSignal`; `cause` is `signal.reason`. */
export class AbortError extends SwitchboardError {
  override readonly name = 'AbortError';
  override readonly code = 'ABORTED';
}

/** Why a retry policy stopped retrying. */
export type RetryStopReason = 'retries' | 'deadline' | 'retry-after';

/**
 * A retry policy gave up after at least one retry. `attempts` holds every
 * attempt's error in order; `cause` is the last one.
 */
export class RetryExhaustedError extends SwitchboardError {
  override readonly name = 'RetryExhaustedError';
  override readonly code = 'RETRY_EXHAUSTED';
  /** The error of each attempt, first to last. */
  readonly attempts: readonly unknown[];
  /** What stopped the retries: the retry count, the deadline, or a `Retry-After` too far away. */
  readonly reason: RetryStopReason;

  constructor(attempts: readonly unknown[], reason: RetryStopReason) {
    const last = attempts.at(-1);
    const detail = last instanceof Error ? `: ${last.message}` : '';
    super(`Gave up after ${attempts.length} attempts (${reason})${detail}`, { cause: last });
    this.attempts = attempts;
    this.reason = reason;
  }
}

/** Every error class by its code; {@link isSwitchboardError} narrows with it. */
export type SwitchboardErrorByCode = {
  SWITCHBOARD_ERROR: SwitchboardError;
  CIRCUIT_OPEN: CircuitOpenError;
  TIMEOUT: TimeoutError;
  ABORTED: AbortError;
  RETRY_EXHAUSTED: RetryExhaustedError;
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
