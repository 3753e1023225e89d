import { SwitchboardError, type SwitchboardErrorOptions } from './switchboard-error.js';

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
