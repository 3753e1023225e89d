import { CircuitOpenError, abortErrorFrom, isAbortError, isClientError } from '../errors.js';
import { breakerStateChannel } from '../internal/channels.js';
import {
  exclusiveOptions,
  functionOption,
  integerOption,
  invalidOption,
  nameOption,
  numberOption,
} from '../internal/options.js';
import { TypedEmitter, type Listener } from '../internal/typed-emitter.js';
import type { BreakerStrategy } from './breaker/breaker-strategy.js';
import { ConsecutiveFailures } from './breaker/consecutive-failures.js';
import { FailureRate, type FailureRateOptions } from './breaker/failure-rate.js';

/** The three states of a {@link CircuitBreaker}. */
export type CircuitState = 'closed' | 'open' | 'half-open';

/** Options of {@link CircuitBreaker}; all optional. */
export type CircuitBreakerOptions = {
  /**
   * Open after this many failures in a row. Cannot be combined with
   * `failureRate` or `strategy`.
   * @default 5
   */
  readonly failureThreshold?: number;
  /** Open on a failure rate over a sliding window of calls instead of a run of failures. */
  readonly failureRate?: FailureRateOptions;
  /** Your own rule for when to open (a fresh instance per breaker). */
  readonly strategy?: BreakerStrategy;
  /**
   * How long an open breaker rejects calls before letting probes through.
   * @default 30_000
   */
  readonly resetTimeoutMs?: number;
  /**
   * How many probe calls a half-open breaker lets through, however many race;
   * all must succeed to close it, any failure re-opens it.
   * @default 1
   */
  readonly halfOpenMaxCalls?: number;
  /** When set, a call that takes at least this long counts as a failure (its result is still returned). */
  readonly slowCallMs?: number;
  /**
   * Which errors count as failures. Errors that do not count are taken as
   * proof the callee answered (a success).
   * @default every error except aborts and client errors ({@link isClientError})
   */
  readonly isFailure?: (error: unknown) => boolean;
};

/** What `fn` receives from {@link CircuitBreaker.call}. */
export type BreakerCallContext = {
  /** The caller's signal, passed through so `fn` can stop its work. */
  readonly signal: AbortSignal | undefined;
};

/** The typed events of a {@link CircuitBreaker}; every payload names the breaker. */
export type CircuitBreakerEvents = {
  open: {
    readonly breaker: string;
    readonly error: unknown;
    readonly retryAfterMs: number;
    readonly isolated: boolean;
  };
  'half-open': { readonly breaker: string };
  close: { readonly breaker: string };
  reject: {
    readonly breaker: string;
    readonly state: 'open' | 'half-open';
    readonly retryAfterMs: number;
  };
  success: { readonly breaker: string; readonly durationMs: number; readonly slow: boolean };
  failure: { readonly breaker: string; readonly error: unknown; readonly durationMs: number };
};

/** A JSON-safe snapshot of a breaker, from {@link CircuitBreaker.stats}. */
export type CircuitBreakerStats = {
  readonly name: string;
  readonly state: CircuitState;
  readonly successes: number;
  readonly failures: number;
  readonly slowCalls: number;
  readonly rejections: number;
  /** Calls that ended in an abort: they say nothing about the callee, so they count neither way. */
  readonly neutral: number;
  readonly lastFailure: { readonly at: number; readonly error: string } | undefined;
  /** Epoch ms when the breaker last opened. */
  readonly openedAt: number | undefined;
  /** Epoch ms when an open breaker lets a probe through; `null` when isolated. */
  readonly nextAttemptAt: number | null | undefined;
};

type Internal =
  | { readonly kind: 'closed' }
  | { readonly kind: 'open'; readonly openedAt: number; readonly retryAt: number }
  | { readonly kind: 'half-open'; probes: number; successes: number };

const CLOSED: Internal = Object.freeze({ kind: 'closed' });
const NO_SIGNAL: BreakerCallContext = Object.freeze({ signal: undefined });

function defaultIsFailure(error: unknown): boolean {
  return !isAbortError(error) && !isClientError(error);
}

/**
 * Stops calling a failing dependency for a while, so callers fail fast instead
 * of piling up behind it, then lets a bounded number of probes test whether it
 * recovered.
 *
 * No timers: an open breaker turns half-open on the first call (or `state`
 * read) after `resetTimeoutMs`. Outcomes of calls that started before the last
 * state change are counted in stats but never move the state, so a slow call
 * from before an outage cannot close a breaker that is probing.
 *
 * @example
 * import { CircuitBreaker } from 'switchboard';
 * const breaker = new CircuitBreaker('auth', { failureThreshold: 5, resetTimeoutMs: 30_000 });
 * const user = await breaker.call(({ signal }) => fetch('http://127.0.0.1:8001/users/1', { signal }));
 */
export class CircuitBreaker {
  readonly name: string;
  readonly #strategy: BreakerStrategy;
  readonly #resetTimeoutMs: number;
  readonly #halfOpenMaxCalls: number;
  readonly #slowCallMs: number | undefined;
  readonly #isFailure: (error: unknown) => boolean;
  readonly #events = new TypedEmitter<CircuitBreakerEvents>();

  #state: Internal = CLOSED;
  // Bumped on every transition; an outcome from an older generation is stale.
  #generation = 0;
  #successes = 0;
  #failures = 0;
  #slowCalls = 0;
  #rejections = 0;
  #neutral = 0;
  #lastFailure: { at: number; error: unknown } | undefined;
  #lastOpenedAt: number | undefined;

  /**
   * @throws {TypeError | RangeError} at once, naming the option, when an option is invalid.
   */
  constructor(name: string, options: CircuitBreakerOptions = {}) {
    this.name = nameOption('name', name);
    this.#strategy = strategyFrom(options);
    this.#resetTimeoutMs = numberOption('resetTimeoutMs', options.resetTimeoutMs ?? 30_000);
    this.#halfOpenMaxCalls = integerOption('halfOpenMaxCalls', options.halfOpenMaxCalls ?? 1);
    this.#slowCallMs =
      options.slowCallMs === undefined
        ? undefined
        : numberOption('slowCallMs', options.slowCallMs, { min: 1 });
    this.#isFailure =
      options.isFailure === undefined
        ? defaultIsFailure
        : functionOption('isFailure', options.isFailure);
  }

  /** The current state; an open breaker past its reset timeout reads (and becomes) half-open. */
  get state(): CircuitState {
    if (this.#state.kind === 'open' && Date.now() >= this.#state.retryAt) this.#halfOpen();
    return this.#state.kind;
  }

  /**
   * Runs `fn` through the breaker. `fn` receives the caller's signal.
   *
   * @throws {@link CircuitOpenError} without calling `fn` while open, or while
   * half-open with every probe slot taken.
   * @throws {@link AbortError} when `signal` is already aborted.
   * @throws whatever `fn` throws, unchanged.
   */
  call<T>(
    fn: (context: BreakerCallContext) => PromiseLike<T> | T,
    options: { readonly signal?: AbortSignal | undefined } = {},
  ): Promise<T> {
    const { signal } = options;
    if (signal?.aborted === true) return Promise.reject(abortErrorFrom(signal));
    // A rejection is returned, not thrown: throwing through an async frame
    // costs more than the error itself, and rejections are the open breaker's hot path.
    const admitted = this.#admit();
    if (typeof admitted !== 'number') return Promise.reject(admitted);
    return this.#run(fn, signal, admitted);
  }

  async #run<T>(
    fn: (context: BreakerCallContext) => PromiseLike<T> | T,
    signal: AbortSignal | undefined,
    generation: number,
  ): Promise<T> {
    const timed =
      this.#slowCallMs !== undefined || this.#events.has('success') || this.#events.has('failure');
    const startedAt = timed ? Date.now() : 0;
    let result: T;
    try {
      result = await fn(signal === undefined ? NO_SIGNAL : { signal });
    } catch (error) {
      this.#settleError(generation, error, signal, timed ? Date.now() - startedAt : 0);
      throw error;
    }
    this.#settleSuccess(generation, timed ? Date.now() - startedAt : 0);
    return result;
  }

  /** Holds the breaker open (rejecting every call) until {@link reset}. */
  isolate(): void {
    const now = Date.now();
    this.#transition({ kind: 'open', openedAt: now, retryAt: Infinity });
    this.#lastOpenedAt = now;
    this.#events.emit('open', {
      breaker: this.name,
      error: undefined,
      retryAfterMs: Infinity,
      isolated: true,
    });
  }

  /** Closes the breaker and forgets its failure history (also ends an {@link isolate}). */
  reset(): void {
    this.#close();
  }

  /**
   * Subscribes to a breaker event; returns the unsubscribe function.
   *
   * @example
   * import { CircuitBreaker } from 'switchboard';
   * const breaker = new CircuitBreaker('auth');
   * const off = breaker.on('open', ({ retryAfterMs }) => console.warn(`auth open for ${retryAfterMs} ms`));
   * off();
   */
  on<K extends keyof CircuitBreakerEvents>(
    name: K,
    listener: Listener<CircuitBreakerEvents[K]>,
  ): () => void {
    return this.#events.on(name, listener);
  }

  /** A snapshot of state and counters, JSON-safe. */
  stats(): CircuitBreakerStats {
    const state = this.state;
    const current = this.#state;
    return {
      name: this.name,
      state,
      successes: this.#successes,
      failures: this.#failures,
      slowCalls: this.#slowCalls,
      rejections: this.#rejections,
      neutral: this.#neutral,
      lastFailure:
        this.#lastFailure === undefined
          ? undefined
          : { at: this.#lastFailure.at, error: describeError(this.#lastFailure.error) },
      openedAt: this.#lastOpenedAt,
      nextAttemptAt:
        current.kind === 'open'
          ? Number.isFinite(current.retryAt)
            ? current.retryAt
            : null
          : undefined,
    };
  }

  toJSON(): CircuitBreakerStats {
    return this.stats();
  }

  // The generation the call belongs to, or the CircuitOpenError to reject it with.
  #admit(): number | CircuitOpenError {
    let state = this.#state;
    if (state.kind === 'open') {
      const now = Date.now();
      if (now < state.retryAt) return this.#reject('open', state.retryAt - now);
      this.#halfOpen();
      // A 'half-open' listener may have moved the breaker again (isolate(), reset()):
      // decide on the state as it is now, not on the one just entered.
      state = this.#state;
      if (state.kind === 'open') return this.#reject('open', Math.max(0, state.retryAt - now));
    }
    if (state.kind === 'closed') return this.#generation;
    if (state.probes < this.#halfOpenMaxCalls) {
      state.probes += 1;
      return this.#generation;
    }
    // Every probe slot is taken: fail fast rather than queue behind a probe that may hang.
    return this.#reject('half-open', 0);
  }

  #reject(state: 'open' | 'half-open', retryAfterMs: number): CircuitOpenError {
    this.#rejections += 1;
    this.#events.emit('reject', { breaker: this.name, state, retryAfterMs });
    return new CircuitOpenError(this.name, retryAfterMs);
  }

  // The callee answered: a result, or an error that `isFailure` does not count.
  #settleSuccess(generation: number, durationMs: number): void {
    const slow = this.#slowCallMs !== undefined && durationMs >= this.#slowCallMs;
    this.#successes += 1;
    this.#events.emit('success', { breaker: this.name, durationMs, slow });
    if (slow) {
      this.#slowCalls += 1;
      this.#countFailure(generation, new Error(`slow call: ${durationMs} ms`));
    } else {
      this.#countSuccess(generation);
    }
  }

  #settleError(
    generation: number,
    error: unknown,
    signal: AbortSignal | undefined,
    durationMs: number,
  ): void {
    // The caller gave up: that says nothing about the callee's health.
    if (signal?.aborted === true) {
      this.#settleNeutral(generation);
      return;
    }
    if (!this.#isFailure(error)) {
      // An abort from inside fn is no answer either; anything else not counted
      // as a failure is (timed like any answer, so a slow one is still slow).
      if (isAbortError(error)) this.#settleNeutral(generation);
      else this.#settleSuccess(generation, durationMs);
      return;
    }
    this.#failures += 1;
    this.#lastFailure = { at: Date.now(), error };
    this.#events.emit('failure', { breaker: this.name, error, durationMs });
    this.#countFailure(generation, error);
  }

  #countSuccess(generation: number): void {
    if (generation !== this.#generation) return;
    const state = this.#state;
    if (state.kind === 'closed') {
      this.#strategy.success();
    } else if (state.kind === 'half-open') {
      state.successes += 1;
      if (state.successes >= this.#halfOpenMaxCalls) this.#close();
    }
  }

  #countFailure(generation: number, error: unknown): void {
    if (generation !== this.#generation) return;
    const state = this.#state;
    if (state.kind === 'half-open' || (state.kind === 'closed' && this.#strategy.failure())) {
      this.#open(error);
    }
  }

  // Neither success nor failure: counted apart, and its probe slot (if any) is freed.
  #settleNeutral(generation: number): void {
    this.#neutral += 1;
    const state = this.#state;
    if (generation === this.#generation && state.kind === 'half-open') state.probes -= 1;
  }

  #open(error: unknown): void {
    const now = Date.now();
    this.#transition({ kind: 'open', openedAt: now, retryAt: now + this.#resetTimeoutMs });
    this.#lastOpenedAt = now;
    this.#events.emit('open', {
      breaker: this.name,
      error,
      retryAfterMs: this.#resetTimeoutMs,
      isolated: false,
    });
  }

  #halfOpen(): void {
    this.#transition({ kind: 'half-open', probes: 0, successes: 0 });
    this.#events.emit('half-open', { breaker: this.name });
  }

  #close(): void {
    this.#strategy.reset();
    const wasClosed = this.#state.kind === 'closed';
    this.#transition(CLOSED);
    if (!wasClosed) this.#events.emit('close', { breaker: this.name });
  }

  #transition(next: Internal): void {
    const from = this.#state.kind;
    this.#state = next;
    this.#generation += 1;
    if (breakerStateChannel.hasSubscribers && from !== next.kind) {
      breakerStateChannel.publish({ breaker: this.name, from, to: next.kind });
    }
  }
}

function strategyFrom(options: CircuitBreakerOptions): BreakerStrategy {
  const { failureThreshold, failureRate, strategy } = options;
  if (strategy !== undefined) {
    if (failureThreshold !== undefined) exclusiveOptions('strategy', 'failureThreshold');
    if (failureRate !== undefined) exclusiveOptions('strategy', 'failureRate');
    if (typeof strategy !== 'object' || (strategy as unknown) === null) {
      invalidOption(
        'strategy',
        'expected an object with success(), failure() and reset()',
        TypeError,
      );
    }
    for (const method of ['success', 'failure', 'reset'] as const) {
      functionOption(`strategy.${method}`, Reflect.get(strategy, method));
    }
    return strategy;
  }
  if (failureRate !== undefined) {
    if (failureThreshold !== undefined) exclusiveOptions('failureRate', 'failureThreshold');
    return new FailureRate(failureRate);
  }
  return new ConsecutiveFailures(failureThreshold ?? 5);
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
