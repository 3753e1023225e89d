import pRetry from 'p-retry';
import {
  RetryExhaustedError,
  TimeoutError,
  abortErrorFrom,
  isAbortError,
  isClientError,
  type RetryStopReason,
} from '../errors.js';
import { delay, raceAbort, throwIfAborted } from '../internal/abort.js';
import { retryAttemptChannel } from '../internal/channels.js';
import { isPromiseLike } from '../internal/promise-like.js';
import {
  functionOption,
  integerOption,
  invalidOption,
  numberOption,
  timerOption,
} from '../internal/options.js';
import { backoffDelay, retryAfterOf } from './backoff.js';

/** Options of {@link RetryPolicy}; all optional. */
export type RetryOptions = {
  /** Retries after the first attempt (so at most `retries + 1` attempts). @default 3 */
  readonly retries?: number;
  /** The backoff cap before jitter for the first retry. @default 100 */
  readonly baseDelayMs?: number;
  /**
   * No backoff is ever longer than this; at most 2^31 − 1 (a timer's limit).
   * @default 10_000
   */
  readonly maxDelayMs?: number;
  /**
   * The longest `retryAfterMs` (a `Retry-After`, an open breaker) worth
   * waiting for; a longer one stops retrying (reason `'retry-after'`).
   * @default maxDelayMs
   */
  readonly maxRetryAfterMs?: number;
  /** Growth of the backoff cap per retry. @default 2 */
  readonly factor?: number;
  /**
   * `'full'`: wait a random time in [0, cap) (AWS "full jitter"), so clients that
   * failed together do not retry together. `'none'`: wait exactly the cap.
   * @default 'full'
   */
  readonly jitter?: 'full' | 'none';
  /**
   * A total time limit across all attempts and waits. Each attempt's signal
   * aborts when it passes, and no retry starts that could not begin before it.
   * At most 2^31 − 1 (a timer's limit).
   * @default undefined (no deadline)
   */
  readonly deadlineMs?: number;
  /**
   * Whether to retry after `error` on attempt `attempt` (1-based).
   * @default retry everything except aborts and client errors
   */
  readonly shouldRetry?: (error: unknown, attempt: number) => boolean | PromiseLike<boolean>;
  /** Called before each retry's wait, with the failed attempt and the chosen delay. */
  readonly onRetry?: (info: RetryInfo) => void;
};

/** Per-call options of {@link RetryPolicy.execute}. */
export type RetryExecuteOptions = {
  readonly signal?: AbortSignal | undefined;
  /** This call's total deadline, overriding the policy's `deadlineMs`. */
  readonly deadlineMs?: number | undefined;
  /**
   * An epoch-ms deadline that `fn` enforces itself (each attempt it runs is
   * already bounded by it, as `ServiceClient`'s are): the policy starts no
   * retry that could not begin before it, but arms no timer and no signal of
   * its own, which keeps the hot path lean. Ignored when `deadlineMs` applies.
   */
  readonly deadlineAt?: number | undefined;
};

/** What {@link RetryOptions.onRetry} receives. */
export type RetryInfo = {
  /** The attempt that failed, 1-based. */
  readonly attempt: number;
  readonly error: unknown;
  /** How long the policy waits before the next attempt. */
  readonly delayMs: number;
};

/** What each attempt receives from {@link RetryPolicy.execute}. */
export type RetryAttemptContext = {
  /** 1-based attempt number. */
  readonly attempt: number;
  /** Aborts when the caller aborts or the deadline passes; pass it down. */
  readonly signal: AbortSignal | undefined;
  /** Epoch ms of the total deadline, for propagation downstream; `undefined` without one. */
  readonly deadlineAt: number | undefined;
};

type Resolved = {
  retries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  maxRetryAfterMs: number;
  factor: number;
  jitter: 'full' | 'none';
  deadlineMs: number | undefined;
  shouldRetry: ((error: unknown, attempt: number) => boolean | PromiseLike<boolean>) | undefined;
  onRetry: ((info: RetryInfo) => void) | undefined;
};

/**
 * Retries a failing async operation with exponential backoff and jitter,
 * within a retry count and an optional total deadline, honouring a
 * `retryAfterMs` carried by an error (`Retry-After`, an open breaker).
 *
 * The first attempt runs directly: the retry machinery (p-retry) is brought in
 * only once an attempt has failed, so the happy path costs almost nothing.
 *
 * Failures: a non-retryable error is rethrown as is; when retries, the deadline
 * or a too-distant `Retry-After` stop it after at least one retry, a
 * {@link RetryExhaustedError} holds every attempt's error; with no retry made,
 * the attempt's own error is thrown. An abort throws {@link AbortError} at once.
 *
 * @example
 * import { RetryPolicy, CircuitBreaker } from 'switchboard';
 * const retry = new RetryPolicy({ retries: 3, deadlineMs: 5_000 });
 * const breaker = new CircuitBreaker('auth');
 * // Retry around the breaker: an open breaker's retryAfterMs is honoured, not hammered.
 * const answer = await retry.execute(({ signal }) => breaker.call(async () => 42, { signal }));
 */
export class RetryPolicy {
  readonly #options: Resolved;

  /** @throws {TypeError | RangeError} at once, naming the option, when an option is invalid. */
  constructor(options: RetryOptions = {}) {
    const jitter: unknown = options.jitter ?? 'full';
    if (jitter !== 'full' && jitter !== 'none') {
      invalidOption('jitter', `expected 'full' or 'none', got ${String(jitter)}`, TypeError);
    }
    this.#options = {
      retries: integerOption('retries', options.retries ?? 3, 0),
      baseDelayMs: numberOption('baseDelayMs', options.baseDelayMs ?? 100),
      maxDelayMs: timerOption('maxDelayMs', options.maxDelayMs ?? 10_000, 0),
      maxRetryAfterMs: timerOption(
        'maxRetryAfterMs',
        options.maxRetryAfterMs ?? options.maxDelayMs ?? 10_000,
        0,
      ),
      factor: numberOption('factor', options.factor ?? 2, { min: 1 }),
      jitter,
      deadlineMs:
        options.deadlineMs === undefined
          ? undefined
          : timerOption('deadlineMs', options.deadlineMs),
      // `=== undefined`, not `&&`: a `false` or `0` slipped in from JS must fail here, not at the first retry.
      shouldRetry:
        options.shouldRetry === undefined
          ? undefined
          : functionOption('shouldRetry', options.shouldRetry),
      onRetry:
        options.onRetry === undefined ? undefined : functionOption('onRetry', options.onRetry),
    };
  }

  /**
   * Runs `fn` until it succeeds or the policy gives up.
   *
   * An attempt still running when `signal` aborts or the deadline passes is
   * abandoned at once (its signal has aborted; its eventual outcome is ignored),
   * so even an `fn` that ignores its signal cannot hold the caller.
   *
   * @throws {@link RetryExhaustedError} when limits stop it after one or more retries.
   * @throws {@link AbortError} when `signal` aborts (before, between or during attempts).
   * @throws {@link TimeoutError} when the deadline cuts the first and only attempt.
   */
  async execute<T>(
    fn: (context: RetryAttemptContext) => PromiseLike<T> | T,
    options: RetryExecuteOptions = {},
  ): Promise<T> {
    const { signal } = options;
    throwIfAborted(signal);
    const deadlineMs =
      options.deadlineMs === undefined
        ? this.#options.deadlineMs
        : timerOption('deadlineMs', options.deadlineMs);
    if (deadlineMs === undefined) {
      const { deadlineAt } = options;
      try {
        return await runAttempt(fn, { attempt: 1, signal, deadlineAt });
      } catch (error) {
        return await this.#retry(fn, error, signal, signal, deadlineAt);
      }
    }
    // With a deadline, every attempt's signal aborts when it passes.
    const deadlineAt = Date.now() + deadlineMs;
    const deadline = new AbortController();
    const timer = setTimeout(() => {
      deadline.abort(
        new TimeoutError(`Deadline of ${deadlineMs} ms exceeded`, { timeoutMs: deadlineMs }),
      );
    }, deadlineMs);
    const attemptSignal =
      signal === undefined ? deadline.signal : AbortSignal.any([signal, deadline.signal]);
    try {
      try {
        return await runAttempt(fn, { attempt: 1, signal: attemptSignal, deadlineAt });
      } catch (error) {
        return await this.#retry(
          fn,
          attemptError(error, attemptSignal),
          signal,
          attemptSignal,
          deadlineAt,
        );
      }
    } finally {
      clearTimeout(timer);
    }
  }

  // Attempt 1 failed with `firstError`; p-retry's loop runs the rest, with our
  // own decision and wait inside its `shouldRetry`.
  async #retry<T>(
    fn: (context: RetryAttemptContext) => PromiseLike<T> | T,
    firstError: unknown,
    callerSignal: AbortSignal | undefined,
    attemptSignal: AbortSignal | undefined,
    deadlineAt: number | undefined,
  ): Promise<T> {
    const options = this.#options;
    const shouldRetry = options.shouldRetry ?? defaultShouldRetry;
    const errors: unknown[] = [];
    // Set inside p-retry's callbacks, which control-flow analysis cannot see.
    let stop = 'retries' as RetryStopReason | 'not-retryable';

    const attempt = async (n: number): Promise<T> => {
      if (n === 1) throw new AttemptFailure(firstError);
      try {
        throwIfAborted(attemptSignal);
        return await runAttempt(fn, { attempt: n, signal: attemptSignal, deadlineAt });
      } catch (error) {
        throw new AttemptFailure(attemptError(error, attemptSignal));
      }
    };

    try {
      return await pRetry(attempt, {
        retries: options.retries,
        minTimeout: 0, // our wait, in shouldRetry, replaces p-retry's backoff
        onFailedAttempt: ({ error }) => {
          errors.push(failureOf(error));
        },
        shouldRetry: async ({ error, attemptNumber }) => {
          const failure = failureOf(error);
          if (attemptSignal?.aborted === true) return false;
          if (!(await shouldRetry(failure, attemptNumber))) {
            stop = 'not-retryable';
            return false;
          }
          const waitMs = this.#waitFor(failure, attemptNumber);
          if (waitMs === undefined) {
            stop = 'retry-after';
            return false;
          }
          if (deadlineAt !== undefined && Date.now() + waitMs >= deadlineAt) {
            stop = 'deadline';
            return false;
          }
          options.onRetry?.({ attempt: attemptNumber, error: failure, delayMs: waitMs });
          if (retryAttemptChannel.hasSubscribers) {
            retryAttemptChannel.publish({
              attempt: attemptNumber,
              error: failure,
              delayMs: waitMs,
            });
          }
          if (waitMs > 0) await delay(waitMs, attemptSignal);
          return true;
        },
      });
    } catch (thrown) {
      // The caller's abort wins over everything, then our own deadline (the
      // only other thing that aborts attemptSignal), unless shouldRetry had
      // already refused the error.
      if (callerSignal?.aborted === true) throw abortErrorFrom(callerSignal);
      const deadlinePassed = attemptSignal?.aborted === true;
      if (!deadlinePassed && !(thrown instanceof AttemptFailure)) {
        throw thrown; // a throwing shouldRetry or onRetry hook
      }
      if (deadlinePassed && stop !== 'not-retryable') stop = 'deadline';
      const last = errors.at(-1);
      if (stop === 'not-retryable' || errors.length <= 1) throw last;
      throw new RetryExhaustedError(errors, stop);
    }
  }

  // The wait before the next attempt, or undefined when a Retry-After is beyond maxRetryAfterMs.
  #waitFor(error: unknown, failedAttempt: number): number | undefined {
    const backoff = backoffDelay(failedAttempt, this.#options);
    const retryAfterMs = retryAfterOf(error);
    if (retryAfterMs === undefined) return backoff;
    if (retryAfterMs > this.#options.maxRetryAfterMs) return undefined;
    return Math.max(backoff, retryAfterMs);
  }
}

// Runs one attempt; with a signal, the attempt is abandoned as soon as it aborts.
function runAttempt<T>(
  fn: (context: RetryAttemptContext) => PromiseLike<T> | T,
  context: RetryAttemptContext,
): PromiseLike<T> | T {
  const result = fn(context);
  return context.signal === undefined || !isPromiseLike(result)
    ? result
    : raceAbort(result, context.signal);
}

// An attempt that failed once its signal had aborted was cut short: the abort
// (our deadline's TimeoutError, or the caller's abort), not its symptom, is its error.
function attemptError(error: unknown, signal: AbortSignal | undefined): unknown {
  return signal?.aborted === true ? abortErrorFrom(signal) : error;
}

// Carries an attempt's error through p-retry untouched: p-retry would turn a
// thrown non-Error into a TypeError and never retry a TypeError.
class AttemptFailure extends Error {
  readonly failure: unknown;
  constructor(failure: unknown) {
    super('attempt failed');
    this.failure = failure;
  }
}

// Every error p-retry hands back to our hooks is an AttemptFailure: `attempt` throws nothing else.
function failureOf(error: Error): unknown {
  return error instanceof AttemptFailure ? error.failure : error;
}

function defaultShouldRetry(error: unknown): boolean {
  return !isAbortError(error) && !isClientError(error);
}
