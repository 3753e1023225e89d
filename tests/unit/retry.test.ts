import pRetry from 'p-retry';
import {
  AbortError,
  CircuitBreaker,
  CircuitOpenError,
  RetryExhaustedError,
  RetryPolicy,
  SwitchboardError,
  TimeoutError,
  isSwitchboardError,
  type RetryAttemptContext,
  type RetryInfo,
  type RetryOptions,
} from 'switchboard';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

// Wrap the real p-retry in a spy, to see when the policy brings it in.
vi.mock('p-retry', async (importOriginal) => {
  const actual = await importOriginal<{ default: typeof pRetry }>();
  return { ...actual, default: vi.fn(actual.default) };
});

// ---- helpers ---------------------------------------------------------------

type Outcome<T> =
  | { readonly status: 'pending' }
  | { readonly status: 'fulfilled'; readonly value: T }
  | { readonly status: 'rejected'; readonly reason: unknown };

/** Observes a promise at once (so a rejection is never unhandled) and lets the test read its state. */
function observe<T>(promise: Promise<T>): {
  readonly current: Outcome<T>;
  readonly done: Promise<Outcome<T>>;
} {
  const state: { current: Outcome<T>; done: Promise<Outcome<T>> } = {
    current: { status: 'pending' },
    done: Promise.resolve({ status: 'pending' }),
  };
  state.done = promise.then(
    (value) => (state.current = { status: 'fulfilled', value }),
    (reason: unknown) => (state.current = { status: 'rejected', reason }),
  );
  return state;
}

/** The rejection of an observed promise; fails the test if it is pending or fulfilled. */
function reasonOf(outcome: Outcome<unknown>): unknown {
  if (outcome.status !== 'rejected') throw new Error(`expected a rejection, got ${outcome.status}`);
  return outcome.reason;
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  const outcome = await observe(promise).done;
  return reasonOf(outcome);
}

function asExhausted(error: unknown): RetryExhaustedError {
  expect(error).toBeInstanceOf(RetryExhaustedError);
  expect(isSwitchboardError(error, 'RETRY_EXHAUSTED')).toBe(true);
  return error as RetryExhaustedError;
}

/** A fn whose nth call throws errors[n-1] (or returns `value` once they run out). */
function failing<T>(errors: readonly unknown[], value?: T) {
  const calls: RetryAttemptContext[] = [];
  const fn = vi.fn((context: RetryAttemptContext): Promise<T | undefined> => {
    calls.push(context);
    const index = calls.length - 1;
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- non-Error values are under test too
    if (index < errors.length) return Promise.reject(errors[index]);
    return Promise.resolve(value);
  });
  return { fn, calls };
}

/** A fn that never settles unless its signal aborts, then rejects with the signal's reason. */
function hanging(calls: RetryAttemptContext[] = []) {
  return vi.fn(
    (context: RetryAttemptContext) =>
      new Promise<never>((_resolve, reject) => {
        calls.push(context);
        context.signal?.addEventListener('abort', () => {
          reject(context.signal?.reason as Error);
        });
      }),
  );
}

const errorsN = (n: number): Error[] =>
  Array.from({ length: n }, (_, i) => new Error(`failure ${i + 1}`));

function recorder(): { readonly onRetry: (info: RetryInfo) => void; readonly infos: RetryInfo[] } {
  const infos: RetryInfo[] = [];
  return {
    infos,
    onRetry: (info) => {
      infos.push(info);
    },
  };
}

// ---- setup -----------------------------------------------------------------

beforeEach(() => {
  vi.useFakeTimers();
  vi.mocked(pRetry).mockClear();
});

afterEach(() => {
  // Nothing the policy started may outlive execute().
  expect(vi.getTimerCount()).toBe(0);
  vi.useRealTimers();
});

// ---- tests -----------------------------------------------------------------

describe('RetryPolicy options', () => {
  it.each<[keyof RetryOptions, unknown, typeof TypeError | typeof RangeError]>([
    ['retries', -1, RangeError],
    ['retries', 1.5, RangeError],
    ['retries', Number.NaN, TypeError],
    ['retries', '3', TypeError],
    ['baseDelayMs', -1, RangeError],
    ['baseDelayMs', Infinity, RangeError],
    ['maxDelayMs', -5, RangeError],
    ['maxDelayMs', 2 ** 31, RangeError],
    ['factor', 0.5, RangeError],
    ['factor', '2', TypeError],
    ['deadlineMs', 0, RangeError],
    ['deadlineMs', Infinity, RangeError],
    ['deadlineMs', 2 ** 31, RangeError],
    ['jitter', 'half', TypeError],
    ['jitter', true, TypeError],
    ['shouldRetry', 42, TypeError],
    ['shouldRetry', null, TypeError],
    ['shouldRetry', false, TypeError],
    ['onRetry', 'log', TypeError],
    ['onRetry', 0, TypeError],
  ])('rejects %s = %o with a %o naming it', (option, value, Kind) => {
    let thrown: unknown;
    try {
      new RetryPolicy({ [option]: value });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(Kind);
    expect(thrown).toMatchObject({ code: 'ERR_SWITCHBOARD_INVALID_OPTION', option });
    expect((thrown as Error).message).toContain(`\`${option}\``);
  });

  it('accepts the edges of every range', () => {
    expect(
      () =>
        new RetryPolicy({
          retries: 0,
          baseDelayMs: 0,
          maxDelayMs: 0,
          factor: 1,
          deadlineMs: 1,
          jitter: 'none',
          shouldRetry: () => true,
          onRetry: () => undefined,
        }),
    ).not.toThrow();
    expect(
      () => new RetryPolicy({ maxDelayMs: 2 ** 31 - 1, deadlineMs: 2 ** 31 - 1 }),
    ).not.toThrow();
  });

  it("never mutates the caller's options object", async () => {
    const options = Object.freeze({ retries: 1, baseDelayMs: 5, jitter: 'none' as const });
    const copy = { ...options };
    const policy = new RetryPolicy(options);
    const outcome = observe(policy.execute(failing([new Error('once')], 'ok').fn));
    await vi.advanceTimersByTimeAsync(5);
    expect(await outcome.done).toEqual({ status: 'fulfilled', value: 'ok' });
    expect(options).toStrictEqual(copy);
  });

  it('defaults to 3 retries with backoff caps of 100, 200, 400 ms', async () => {
    const { onRetry, infos } = recorder();
    const policy = new RetryPolicy({ jitter: 'none', onRetry });
    const { fn } = failing(errorsN(10));
    const outcome = observe(policy.execute(fn));
    await vi.advanceTimersByTimeAsync(700);
    expect(fn).toHaveBeenCalledTimes(4);
    expect(infos.map((info) => info.delayMs)).toEqual([100, 200, 400]);
    expect(asExhausted(reasonOf(await outcome.done)).reason).toBe('retries');
  });
});

describe('RetryPolicy.execute: the happy path', () => {
  it('returns the first attempt’s value without p-retry, retries or timers', async () => {
    const onRetry = vi.fn();
    const policy = new RetryPolicy({ onRetry });
    const fn = vi.fn(() => Promise.resolve('value'));
    await expect(policy.execute(fn)).resolves.toBe('value');
    expect(fn).toHaveBeenCalledTimes(1);
    expect(fn).toHaveBeenCalledWith({ attempt: 1, signal: undefined, deadlineAt: undefined });
    expect(onRetry).not.toHaveBeenCalled();
    expect(pRetry).not.toHaveBeenCalled();
  });

  it('accepts a synchronous fn', async () => {
    await expect(new RetryPolicy().execute(() => 42)).resolves.toBe(42);
    expect(pRetry).not.toHaveBeenCalled();
  });

  it('brings in p-retry only after the first failure', async () => {
    const policy = new RetryPolicy({ baseDelayMs: 10, jitter: 'none' });
    const outcome = observe(policy.execute(failing([new Error('first')], 'second').fn));
    await vi.advanceTimersByTimeAsync(10);
    expect(await outcome.done).toEqual({ status: 'fulfilled', value: 'second' });
    expect(pRetry).toHaveBeenCalledTimes(1);
  });

  it('passes the caller’s signal to every attempt when there is no deadline', async () => {
    const controller = new AbortController();
    const policy = new RetryPolicy({ baseDelayMs: 1, jitter: 'none' });
    const { fn, calls } = failing([new Error('first')], 'ok');
    const outcome = observe(policy.execute(fn, { signal: controller.signal }));
    await vi.advanceTimersByTimeAsync(1);
    await outcome.done;
    expect(calls.map((context) => context.attempt)).toEqual([1, 2]);
    for (const context of calls) {
      expect(context.signal?.aborted).toBe(false);
      expect(context.deadlineAt).toBeUndefined();
    }
    controller.abort();
    for (const context of calls) expect(context.signal?.aborted).toBe(true);
  });
});

describe('RetryPolicy.execute: retries and backoff', () => {
  it('retries after the backoff wait, numbering attempts from 1, and reports each retry', async () => {
    const { onRetry, infos } = recorder();
    const policy = new RetryPolicy({
      retries: 3,
      baseDelayMs: 100,
      factor: 2,
      jitter: 'none',
      onRetry,
    });
    const [first, second] = errorsN(2);
    const { fn, calls } = failing([first, second], 'done');
    const outcome = observe(policy.execute(fn));

    await vi.advanceTimersByTimeAsync(99);
    expect(fn).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(fn).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(199);
    expect(fn).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(fn).toHaveBeenCalledTimes(3);

    expect(await outcome.done).toEqual({ status: 'fulfilled', value: 'done' });
    expect(calls.map((context) => context.attempt)).toEqual([1, 2, 3]);
    expect(infos).toEqual([
      { attempt: 1, error: first, delayMs: 100 },
      { attempt: 2, error: second, delayMs: 200 },
    ]);
  });

  it("with jitter 'none' waits exactly base × factor^(n−1), capped at maxDelayMs", async () => {
    const { onRetry, infos } = recorder();
    const policy = new RetryPolicy({
      retries: 5,
      baseDelayMs: 50,
      factor: 3,
      maxDelayMs: 1_000,
      jitter: 'none',
      onRetry,
    });
    const outcome = observe(policy.execute(failing(errorsN(6)).fn));
    await vi.advanceTimersByTimeAsync(50 + 150 + 450 + 1_000 + 1_000);
    expect(infos.map((info) => info.delayMs)).toEqual([50, 150, 450, 1_000, 1_000]);
    expect(outcome.current.status).toBe('rejected');
  });

  it('with full jitter waits a random whole number of ms in [0, cap), spread over the range', async () => {
    const caps = [100, 200, 300]; // base 100, factor 2, capped at 300
    const runs = 300;
    const delays: number[][] = [[], [], []];
    const policy = new RetryPolicy({
      retries: 3,
      baseDelayMs: 100,
      maxDelayMs: 300,
      onRetry: ({ attempt, delayMs }) => delays[attempt - 1]?.push(delayMs),
    });
    const outcomes = Array.from({ length: runs }, () =>
      observe(policy.execute(failing(errorsN(4)).fn)),
    );
    await vi.advanceTimersByTimeAsync(600);
    expect(outcomes.every((outcome) => outcome.current.status === 'rejected')).toBe(true);

    caps.forEach((cap, index) => {
      const samples = delays[index] ?? [];
      expect(samples).toHaveLength(runs);
      for (const delayMs of samples) {
        expect(Number.isInteger(delayMs)).toBe(true);
        expect(delayMs).toBeGreaterThanOrEqual(0);
        expect(delayMs).toBeLessThan(cap);
      }
      expect(new Set(samples).size).toBeGreaterThan(cap / 5);
      expect(samples.some((delayMs) => delayMs < cap / 4)).toBe(true);
      expect(samples.some((delayMs) => delayMs >= (cap * 3) / 4)).toBe(true);
    });
  });

  it('really waits the jittered delay it reports', async () => {
    const reported: number[] = [];
    const policy = new RetryPolicy({
      retries: 1,
      baseDelayMs: 1_000,
      onRetry: (info) => reported.push(info.delayMs),
    });
    const { fn } = failing([new Error('x')], 'ok');
    const outcome = observe(policy.execute(fn));
    await vi.advanceTimersByTimeAsync(0);
    const [delayMs = -1] = reported;
    expect(delayMs).toBeGreaterThanOrEqual(0);
    if (delayMs > 0) {
      await vi.advanceTimersByTimeAsync(delayMs - 1);
      expect(fn).toHaveBeenCalledTimes(1);
    }
    await vi.advanceTimersByTimeAsync(1);
    expect(fn).toHaveBeenCalledTimes(2);
    expect(await outcome.done).toEqual({ status: 'fulfilled', value: 'ok' });
  });

  it('gives up after `retries` retries with a RetryExhaustedError holding every error in order', async () => {
    const { onRetry, infos } = recorder();
    const policy = new RetryPolicy({ retries: 2, baseDelayMs: 10, jitter: 'none', onRetry });
    const errors = errorsN(3);
    const { fn } = failing(errors);
    const outcome = observe(policy.execute(fn));
    await vi.advanceTimersByTimeAsync(30);
    const error = asExhausted(reasonOf(await outcome.done));
    expect(error.reason).toBe('retries');
    expect(error.attempts).toEqual(errors);
    error.attempts.forEach((attempt, index) => {
      expect(attempt).toBe(errors[index]);
    });
    expect(error.cause).toBe(errors[2]);
    expect(error.code).toBe('RETRY_EXHAUSTED');
    expect(error.message).toContain('failure 3');
    expect(fn).toHaveBeenCalledTimes(3);
    expect(infos.map((info) => info.attempt)).toEqual([1, 2]);
  });

  it('with retries 0 makes one attempt and throws its own error', async () => {
    const onRetry = vi.fn();
    const failure = new Error('only');
    const { fn } = failing([failure]);
    expect(await rejectionOf(new RetryPolicy({ retries: 0, onRetry }).execute(fn))).toBe(failure);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(onRetry).not.toHaveBeenCalled();
  });

  it('retries strings and other non-Error values, and reports them unchanged', async () => {
    const { onRetry, infos } = recorder();
    const policy = new RetryPolicy({ retries: 2, baseDelayMs: 1, jitter: 'none', onRetry });
    const thrown = ['boom', 404, { detail: 'plain object' }];
    const outcome = observe(policy.execute(failing(thrown).fn));
    await vi.advanceTimersByTimeAsync(3);
    const error = asExhausted(reasonOf(await outcome.done));
    expect(error.attempts).toEqual(thrown);
    expect(error.cause).toBe(thrown[2]);
    expect(infos.map((info) => info.error)).toEqual(['boom', 404]);
  });

  it('throws a thrown string itself when no retry was made', async () => {
    const policy = new RetryPolicy({ retries: 0 });
    expect(
      await rejectionOf(
        policy.execute(() => {
          // eslint-disable-next-line @typescript-eslint/only-throw-error -- the case under test
          throw 'plain string';
        }),
      ),
    ).toBe('plain string');
  });

  it('retries a TypeError like any other error (p-retry on its own would not)', async () => {
    const policy = new RetryPolicy({ retries: 2, baseDelayMs: 1, jitter: 'none' });
    const typeError = new TypeError('x is not a function');
    const { fn } = failing([typeError, typeError], 'recovered');
    const outcome = observe(policy.execute(fn));
    await vi.advanceTimersByTimeAsync(3);
    expect(await outcome.done).toEqual({ status: 'fulfilled', value: 'recovered' });
    expect(fn).toHaveBeenCalledTimes(3);
  });

  it('retries a fn that throws synchronously', async () => {
    const policy = new RetryPolicy({ retries: 1, baseDelayMs: 1, jitter: 'none' });
    let calls = 0;
    const outcome = observe(
      policy.execute(() => {
        calls += 1;
        if (calls === 1) throw new Error('sync');
        return 'second';
      }),
    );
    await vi.advanceTimersByTimeAsync(1);
    expect(await outcome.done).toEqual({ status: 'fulfilled', value: 'second' });
  });
});

describe('RetryPolicy.execute: which errors are retried', () => {
  it('rethrows an error shouldRetry rejects, unchanged, and asks with (error, attempt)', async () => {
    const notRetryable = new Error('bad input');
    const shouldRetry = vi.fn((error: unknown) => error !== notRetryable);
    const onRetry = vi.fn();
    const policy = new RetryPolicy({
      retries: 5,
      baseDelayMs: 1,
      jitter: 'none',
      shouldRetry,
      onRetry,
    });
    const retryable = new Error('flaky');
    const { fn } = failing([retryable, notRetryable]);
    const outcome = observe(policy.execute(fn));
    await vi.advanceTimersByTimeAsync(2);
    // Not wrapped, even after a retry.
    expect(reasonOf(await outcome.done)).toBe(notRetryable);
    expect(shouldRetry.mock.calls).toEqual([
      [retryable, 1],
      [notRetryable, 2],
    ]);
    expect(fn).toHaveBeenCalledTimes(2);
    expect(onRetry).toHaveBeenCalledTimes(1);
  });

  it('awaits an async shouldRetry', async () => {
    const policy = new RetryPolicy({ retries: 3, shouldRetry: () => Promise.resolve(false) });
    const failure = new Error('no');
    const { fn } = failing([failure]);
    expect(await rejectionOf(policy.execute(fn))).toBe(failure);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('by default does not retry client errors or platform aborts', async () => {
    const policy = new RetryPolicy({ retries: 3 });
    const clientError = Object.assign(new Error('400 bad request'), { isClientError: true });
    const platformAbort = new DOMException('aborted', 'AbortError');
    for (const failure of [clientError, platformAbort]) {
      const { fn } = failing([failure]);
      expect(await rejectionOf(policy.execute(fn))).toBe(failure);
      expect(fn).toHaveBeenCalledTimes(1);
    }
  });

  it('by default retries timeouts and other errors', async () => {
    const policy = new RetryPolicy({ retries: 2, baseDelayMs: 1, jitter: 'none' });
    const { fn } = failing(
      [new TimeoutError('attempt timed out'), new SwitchboardError('x')],
      'ok',
    );
    const outcome = observe(policy.execute(fn));
    await vi.advanceTimersByTimeAsync(3);
    expect(await outcome.done).toEqual({ status: 'fulfilled', value: 'ok' });
  });

  it('lets an error thrown by a hook propagate and stops', async () => {
    const hookError = new Error('onRetry bug');
    const policy = new RetryPolicy({
      retries: 3,
      onRetry: () => {
        throw hookError;
      },
    });
    const { fn } = failing(errorsN(4));
    expect(await rejectionOf(policy.execute(fn))).toBe(hookError);
    expect(fn).toHaveBeenCalledTimes(1);
  });
});

describe('RetryPolicy.execute: retryAfterMs', () => {
  const busy = (retryAfterMs: number): Error => Object.assign(new Error('429'), { retryAfterMs });

  it('waits the retryAfterMs an error carries when it is longer than the backoff', async () => {
    const { onRetry, infos } = recorder();
    const policy = new RetryPolicy({ baseDelayMs: 10, jitter: 'none', onRetry });
    const { fn } = failing([busy(750)], 'ok');
    const outcome = observe(policy.execute(fn));
    await vi.advanceTimersByTimeAsync(749);
    expect(fn).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(fn).toHaveBeenCalledTimes(2);
    expect(infos[0]?.delayMs).toBe(750);
    expect(await outcome.done).toEqual({ status: 'fulfilled', value: 'ok' });
  });

  it('keeps the backoff when it is longer than retryAfterMs', async () => {
    const { onRetry, infos } = recorder();
    const policy = new RetryPolicy({ baseDelayMs: 500, jitter: 'none', onRetry });
    const outcome = observe(policy.execute(failing([busy(20)], 'ok').fn));
    await vi.advanceTimersByTimeAsync(500);
    expect(infos[0]?.delayMs).toBe(500);
    expect(await outcome.done).toEqual({ status: 'fulfilled', value: 'ok' });
  });

  it("stops with reason 'retry-after' when retryAfterMs exceeds maxDelayMs", async () => {
    const onRetry = vi.fn();
    const policy = new RetryPolicy({
      retries: 5,
      baseDelayMs: 10,
      maxDelayMs: 1_000,
      jitter: 'none',
      onRetry,
    });
    const first = new Error('flaky');
    const tooLong = busy(1_001);
    const { fn } = failing([first, tooLong]);
    const outcome = observe(policy.execute(fn));
    await vi.advanceTimersByTimeAsync(10);
    // Gives up at once instead of waiting.
    const error = asExhausted(reasonOf(outcome.current));
    expect(error.reason).toBe('retry-after');
    expect(error.attempts).toEqual([first, tooLong]);
    expect(error.cause).toBe(tooLong);
    expect(fn).toHaveBeenCalledTimes(2);
    expect(onRetry).toHaveBeenCalledTimes(1);
  });

  it('waits a retryAfterMs longer than maxDelayMs when maxRetryAfterMs allows it', async () => {
    const { onRetry, infos } = recorder();
    const policy = new RetryPolicy({
      baseDelayMs: 10,
      maxDelayMs: 100,
      maxRetryAfterMs: 2_000,
      jitter: 'none',
      onRetry,
    });
    const { fn } = failing([busy(1_500)], 'ok');
    const outcome = observe(policy.execute(fn));
    await vi.advanceTimersByTimeAsync(1_499);
    expect(fn).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(infos[0]?.delayMs).toBe(1_500);
    expect(await outcome.done).toEqual({ status: 'fulfilled', value: 'ok' });
    expect(
      await rejectionOf(
        new RetryPolicy({ maxRetryAfterMs: 1_000 }).execute(failing([busy(1_001)]).fn),
      ),
    ).toMatchObject({ retryAfterMs: 1_001 });
  });

  it('throws the error itself when a too-distant retryAfterMs comes before any retry', async () => {
    const policy = new RetryPolicy({ maxDelayMs: 1_000 });
    const isolated = busy(Infinity);
    expect(await rejectionOf(policy.execute(failing([isolated]).fn))).toBe(isolated);
  });

  it('does not start a retry that the deadline would cut, however long retryAfterMs says', async () => {
    const onRetry = vi.fn();
    const policy = new RetryPolicy({
      baseDelayMs: 1,
      jitter: 'none',
      maxDelayMs: 5_000,
      deadlineMs: 1_000,
      onRetry,
    });
    const failure = busy(2_000);
    const { fn } = failing([failure]);
    const outcome = observe(policy.execute(fn));
    await vi.advanceTimersByTimeAsync(0);
    expect(reasonOf(outcome.current)).toBe(failure);
    expect(onRetry).not.toHaveBeenCalled();
  });
});

describe('RetryPolicy.execute: deadline', () => {
  it('gives every attempt the same deadlineAt and a live signal', async () => {
    vi.setSystemTime(1_000_000);
    const policy = new RetryPolicy({ baseDelayMs: 10, jitter: 'none', deadlineMs: 5_000 });
    const { fn, calls } = failing([new Error('x')], 'ok');
    const outcome = observe(policy.execute(fn));
    await vi.advanceTimersByTimeAsync(10);
    expect(await outcome.done).toEqual({ status: 'fulfilled', value: 'ok' });
    expect(calls.map((context) => context.deadlineAt)).toEqual([1_005_000, 1_005_000]);
    expect(calls.map((context) => context.signal?.aborted)).toEqual([false, false]);
  });

  it('aborts the attempt with a TimeoutError and throws it when no retry was made', async () => {
    const policy = new RetryPolicy({ deadlineMs: 300 });
    const calls: RetryAttemptContext[] = [];
    const outcome = observe(policy.execute(hanging(calls)));
    await vi.advanceTimersByTimeAsync(299);
    expect(outcome.current.status).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    const error = reasonOf(outcome.current);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ code: 'TIMEOUT', timeoutMs: 300 });
    expect(calls[0]?.signal?.aborted).toBe(true);
    expect(calls[0]?.signal?.reason).toBe(error);
  });

  it('stops at the deadline even when the attempt ignores its signal', async () => {
    const policy = new RetryPolicy({ deadlineMs: 300 });
    const fn = vi.fn(() => new Promise<never>(() => undefined));
    const outcome = observe(policy.execute(fn));
    await vi.advanceTimersByTimeAsync(300);
    expect(reasonOf(outcome.current)).toBeInstanceOf(TimeoutError);
  });

  it('records a TimeoutError for an attempt the deadline cut, whatever the attempt threw', async () => {
    const policy = new RetryPolicy({
      retries: 5,
      baseDelayMs: 100,
      jitter: 'none',
      deadlineMs: 250,
    });
    const first = new Error('first');
    let call = 0;
    const fn = vi.fn(({ signal }: RetryAttemptContext) => {
      call += 1;
      if (call === 1) return Promise.reject(first);
      // The attempt's own symptom of the abort: not what it should be blamed for.
      return new Promise<never>((_resolve, reject) => {
        signal?.addEventListener('abort', () => {
          reject(new Error('socket hang up'));
        });
      });
    });
    const outcome = observe(policy.execute(fn));
    await vi.advanceTimersByTimeAsync(250);
    const error = asExhausted(reasonOf(outcome.current));
    expect(error.reason).toBe('deadline');
    expect(error.attempts).toHaveLength(2);
    expect(error.attempts[0]).toBe(first);
    expect(error.attempts[1]).toBeInstanceOf(TimeoutError);
    expect(error.cause).toBe(error.attempts[1]);
  });

  it("does not start a retry whose wait ends at or after the deadline: reason 'deadline'", async () => {
    const { onRetry, infos } = recorder();
    const policy = new RetryPolicy({
      retries: 5,
      baseDelayMs: 100,
      jitter: 'none',
      deadlineMs: 300,
      onRetry,
    });
    const errors = errorsN(3);
    const { fn } = failing(errors);
    const outcome = observe(policy.execute(fn));
    // t=0 fails, waits 100; t=100 fails, 100 + 200 ≥ 300: give up now, not at 300.
    await vi.advanceTimersByTimeAsync(100);
    const error = asExhausted(reasonOf(outcome.current));
    expect(error.reason).toBe('deadline');
    expect(error.attempts).toEqual(errors.slice(0, 2));
    expect(infos).toHaveLength(1);
    expect(fn).toHaveBeenCalledTimes(2);
  });

  it('throws the attempt’s own error when the deadline prevents the first retry', async () => {
    const policy = new RetryPolicy({ baseDelayMs: 500, jitter: 'none', deadlineMs: 400 });
    const failure = new Error('down');
    expect(await rejectionOf(policy.execute(failing([failure]).fn))).toBe(failure);
  });

  it('rethrows an error shouldRetry refuses, even when the deadline passed while it decided', async () => {
    const slowlyRefuse = async (_error: unknown, attempt: number): Promise<boolean> => {
      if (attempt === 1) return true;
      await new Promise((resolve) => setTimeout(resolve, 200));
      return false;
    };
    const policy = new RetryPolicy({
      baseDelayMs: 10,
      jitter: 'none',
      deadlineMs: 100,
      shouldRetry: slowlyRefuse,
    });
    const [first, second] = errorsN(2);
    const outcome = observe(policy.execute(failing([first, second]).fn));
    await vi.advanceTimersByTimeAsync(210);
    expect(reasonOf(outcome.current)).toBe(second);
  });

  it('keeps the error of an attempt that failed before the deadline passed', async () => {
    const slowlyAccept = async (_error: unknown, attempt: number): Promise<boolean> => {
      if (attempt > 1) await new Promise((resolve) => setTimeout(resolve, 200));
      return true;
    };
    const policy = new RetryPolicy({
      baseDelayMs: 10,
      jitter: 'none',
      deadlineMs: 100,
      shouldRetry: slowlyAccept,
    });
    const errors = errorsN(2);
    const { fn } = failing(errors);
    const outcome = observe(policy.execute(fn));
    await vi.advanceTimersByTimeAsync(210);
    const error = asExhausted(reasonOf(outcome.current));
    expect(error.reason).toBe('deadline');
    // Attempt 2 failed at t=10 on its own; the deadline (t=100) did not cut it.
    expect(error.attempts).toEqual(errors);
    expect(fn).toHaveBeenCalledTimes(2);
  });

  it('clears its deadline timer when execute settles early', async () => {
    const policy = new RetryPolicy({ deadlineMs: 60_000 });
    await expect(policy.execute(() => 'fast')).resolves.toBe('fast');
    expect(vi.getTimerCount()).toBe(0);
    const failure = new Error('bad');
    const strict = new RetryPolicy({ deadlineMs: 60_000, shouldRetry: () => false });
    expect(await rejectionOf(strict.execute(failing([failure]).fn))).toBe(failure);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('RetryPolicy.execute: per-call deadline', () => {
  it('overrides the policy deadline for one call and leaves no timer behind', async () => {
    const policy = new RetryPolicy({ deadlineMs: 10_000 });
    const calls: RetryAttemptContext[] = [];
    const outcome = observe(policy.execute(hanging(calls), { deadlineMs: 300 }));
    await vi.advanceTimersByTimeAsync(300);
    const error = reasonOf(outcome.current);
    expect(isSwitchboardError(error, 'TIMEOUT')).toBe(true);
    expect(calls[0]?.deadlineAt).toBe(Date.now());
    expect(vi.getTimerCount()).toBe(0);
  });

  it('with an advisory deadlineAt, starts no retry past it and arms no timer of its own', async () => {
    const policy = new RetryPolicy({ retries: 5, baseDelayMs: 100, jitter: 'none' });
    const { fn, calls } = failing(errorsN(6));
    const outcome = observe(policy.execute(fn, { deadlineAt: Date.now() + 250 }));
    expect(vi.getTimerCount()).toBe(0); // the first attempt runs with no deadline timer
    expect(calls[0]?.deadlineAt).toBe(Date.now() + 250);
    expect(calls[0]?.signal).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1_000);
    // Waits of 100 and 200 ms: the second would end at 300 ms, past the deadline.
    expect(fn).toHaveBeenCalledTimes(2);
    const error = asExhausted(reasonOf(outcome.current));
    expect(error.reason).toBe('deadline');
  });

  it('rejects an invalid per-call deadline naming the option', async () => {
    const policy = new RetryPolicy();
    await expect(policy.execute(() => 1, { deadlineMs: -1 })).rejects.toMatchObject({
      option: 'deadlineMs',
    });
  });
});

describe('RetryPolicy.execute: abort', () => {
  it('throws an AbortError without calling fn when the signal is already aborted', async () => {
    const reason = new Error('client went away');
    const fn = vi.fn();
    const error = await rejectionOf(
      new RetryPolicy().execute(fn, { signal: AbortSignal.abort(reason) }),
    );
    expect(error).toBeInstanceOf(AbortError);
    expect(error).toMatchObject({ code: 'ABORTED', cause: reason });
    expect(fn).not.toHaveBeenCalled();
  });

  it('throws a SwitchboardError reason itself', async () => {
    const reason = new SwitchboardError('shutting down');
    expect(
      await rejectionOf(new RetryPolicy().execute(vi.fn(), { signal: AbortSignal.abort(reason) })),
    ).toBe(reason);
  });

  it('stops during an attempt that honours the signal, without retrying', async () => {
    const onRetry = vi.fn();
    const controller = new AbortController();
    const fn = hanging();
    const outcome = observe(
      new RetryPolicy({ retries: 5, onRetry }).execute(fn, { signal: controller.signal }),
    );
    await vi.advanceTimersByTimeAsync(50);
    const reason = new Error('cancelled by user');
    controller.abort(reason);
    await vi.advanceTimersByTimeAsync(0);
    const error = reasonOf(outcome.current);
    expect(error).toBeInstanceOf(AbortError);
    expect(error).toMatchObject({ code: 'ABORTED', cause: reason });
    expect(fn).toHaveBeenCalledTimes(1);
    expect(onRetry).not.toHaveBeenCalled();
  });

  it('throws the AbortError, not the error the aborted attempt threw', async () => {
    const controller = new AbortController();
    const policy = new RetryPolicy({ retries: 2, baseDelayMs: 1, jitter: 'none' });
    const fn = vi.fn(
      ({ signal }: RetryAttemptContext) =>
        new Promise<never>((_resolve, reject) => {
          signal?.addEventListener('abort', () => {
            reject(new Error('socket closed'));
          });
        }),
    );
    const outcome = observe(policy.execute(fn, { signal: controller.signal }));
    controller.abort();
    await vi.advanceTimersByTimeAsync(10);
    expect(reasonOf(outcome.current)).toBeInstanceOf(AbortError);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('stops at once during an attempt that ignores the signal', async () => {
    const controller = new AbortController();
    const fn = vi.fn(() => new Promise<never>(() => undefined));
    const outcome = observe(new RetryPolicy().execute(fn, { signal: controller.signal }));
    await vi.advanceTimersByTimeAsync(10);
    controller.abort();
    await vi.advanceTimersByTimeAsync(0);
    expect(reasonOf(outcome.current)).toBeInstanceOf(AbortError);
  });

  it('stops at once during a backoff wait, and clears the wait', async () => {
    const controller = new AbortController();
    const policy = new RetryPolicy({ retries: 3, baseDelayMs: 10_000, jitter: 'none' });
    const { fn } = failing(errorsN(4));
    const outcome = observe(policy.execute(fn, { signal: controller.signal }));
    await vi.advanceTimersByTimeAsync(100);
    expect(vi.getTimerCount()).toBe(1);
    controller.abort('stop');
    await vi.advanceTimersByTimeAsync(0);
    const error = reasonOf(outcome.current);
    expect(error).toBeInstanceOf(AbortError);
    expect(error).toMatchObject({ cause: 'stop' });
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('throws an AbortError, not a TimeoutError or RetryExhaustedError, when the caller aborts under a deadline', async () => {
    const controller = new AbortController();
    const policy = new RetryPolicy({
      retries: 3,
      baseDelayMs: 10,
      jitter: 'none',
      deadlineMs: 1_000,
    });
    const calls: RetryAttemptContext[] = [];
    const fn = vi.fn((context: RetryAttemptContext) => {
      calls.push(context);
      if (calls.length === 1) return Promise.reject(new Error('first'));
      return hanging()(context);
    });
    const outcome = observe(policy.execute(fn, { signal: controller.signal }));
    await vi.advanceTimersByTimeAsync(20);
    expect(fn).toHaveBeenCalledTimes(2);
    controller.abort();
    await vi.advanceTimersByTimeAsync(0);
    expect(reasonOf(outcome.current)).toBeInstanceOf(AbortError);
    expect(calls[1]?.signal?.aborted).toBe(true);
  });

  it("turns AbortSignal.timeout()'s abort into a TimeoutError", async () => {
    // AbortSignal.timeout runs on Node's internal timers, which fake timers do not reach.
    vi.useRealTimers();
    try {
      const signal = AbortSignal.timeout(5);
      const error = await rejectionOf(
        new RetryPolicy({ retries: 3 }).execute(hanging(), { signal }),
      );
      expect(error).toBeInstanceOf(TimeoutError);
      expect((error as TimeoutError).cause).toBe(signal.reason);
    } finally {
      vi.useFakeTimers();
    }
  });
});

describe('RetryPolicy around a CircuitBreaker', () => {
  function flakyService(): {
    readonly fn: ReturnType<typeof vi.fn<() => Promise<string>>>;
    recover(): void;
  } {
    let healthy = false;
    const fn = vi.fn(() =>
      healthy ? Promise.resolve('answer') : Promise.reject(new Error('503')),
    );
    return {
      fn,
      recover: () => {
        healthy = true;
      },
    };
  }

  it('waits for the open breaker’s retryAfterMs instead of hammering, then succeeds', async () => {
    const breaker = new CircuitBreaker('auth', { failureThreshold: 2, resetTimeoutMs: 1_000 });
    const { onRetry, infos } = recorder();
    const policy = new RetryPolicy({
      retries: 5,
      baseDelayMs: 10,
      maxDelayMs: 2_000,
      jitter: 'none',
      onRetry,
    });
    const service = flakyService();
    const rejects: number[] = [];
    breaker.on('reject', ({ retryAfterMs }) => rejects.push(retryAfterMs));

    const outcome = observe(policy.execute(({ signal }) => breaker.call(service.fn, { signal })));
    // t=0 fails; t=10 fails and opens the breaker (until t=1010); t=30 is rejected by it.
    await vi.advanceTimersByTimeAsync(30);
    expect(service.fn).toHaveBeenCalledTimes(2);
    expect(breaker.state).toBe('open');
    expect(rejects).toEqual([980]);
    const third = infos[2];
    expect(third?.error).toBeInstanceOf(CircuitOpenError);
    expect(third?.delayMs).toBeGreaterThanOrEqual((third?.error as CircuitOpenError).retryAfterMs);

    service.recover();
    await vi.advanceTimersByTimeAsync(979);
    // Not called while open, and no probe yet.
    expect(service.fn).toHaveBeenCalledTimes(2);
    expect(rejects).toHaveLength(1);
    expect(outcome.current.status).toBe('pending');

    await vi.advanceTimersByTimeAsync(1);
    expect(await outcome.done).toEqual({ status: 'fulfilled', value: 'answer' });
    expect(service.fn).toHaveBeenCalledTimes(3);
    expect(breaker.state).toBe('closed');
    expect(infos.map((info) => info.attempt)).toEqual([1, 2, 3]);
  });

  it("gives up at once with reason 'retry-after' when maxDelayMs is shorter than the reset timeout", async () => {
    const breaker = new CircuitBreaker('auth', { failureThreshold: 2, resetTimeoutMs: 1_000 });
    const policy = new RetryPolicy({
      retries: 5,
      baseDelayMs: 10,
      maxDelayMs: 500,
      jitter: 'none',
    });
    const service = flakyService();
    const outcome = observe(policy.execute(({ signal }) => breaker.call(service.fn, { signal })));
    await vi.advanceTimersByTimeAsync(30);
    const error = asExhausted(reasonOf(outcome.current));
    expect(error.reason).toBe('retry-after');
    expect(error.attempts).toHaveLength(3);
    expect(error.cause).toBeInstanceOf(CircuitOpenError);
    expect(isSwitchboardError(error.cause, 'CIRCUIT_OPEN')).toBe(true);
    expect(service.fn).toHaveBeenCalledTimes(2);
  });

  it('throws the CircuitOpenError itself when the breaker was already open', async () => {
    const breaker = new CircuitBreaker('auth', { failureThreshold: 2, resetTimeoutMs: 1_000 });
    breaker.isolate();
    const policy = new RetryPolicy({ retries: 5, maxDelayMs: 500 });
    const fn = vi.fn(() => Promise.resolve('never'));
    const error = await rejectionOf(policy.execute(({ signal }) => breaker.call(fn, { signal })));
    expect(error).toBeInstanceOf(CircuitOpenError);
    expect(fn).not.toHaveBeenCalled();
  });

  it('stops at once when the caller aborts while waiting out the open breaker', async () => {
    const breaker = new CircuitBreaker('auth', { failureThreshold: 2, resetTimeoutMs: 1_000 });
    const policy = new RetryPolicy({
      retries: 5,
      baseDelayMs: 10,
      maxDelayMs: 2_000,
      jitter: 'none',
    });
    const service = flakyService();
    const controller = new AbortController();
    const outcome = observe(
      policy.execute(({ signal }) => breaker.call(service.fn, { signal }), {
        signal: controller.signal,
      }),
    );
    await vi.advanceTimersByTimeAsync(500);
    controller.abort();
    await vi.advanceTimersByTimeAsync(0);
    expect(reasonOf(outcome.current)).toBeInstanceOf(AbortError);
    expect(service.fn).toHaveBeenCalledTimes(2);
    expect(breaker.stats().failures).toBe(2);
  });
});
