import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  AbortError,
  CircuitBreaker,
  CircuitOpenError,
  TimeoutError,
  isSwitchboardError,
  type BreakerCallContext,
  type BreakerStrategy,
  type CircuitBreakerEvents,
  type CircuitBreakerOptions,
  type CircuitState,
} from 'switchboard';

const START = new Date('2026-01-01T00:00:00.000Z').getTime();

type Deferred<T> = {
  readonly promise: Promise<T>;
  readonly resolve: (value: T) => void;
  readonly reject: (error: unknown) => void;
};

function deferred<T = string>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

class ClientError extends Error {
  readonly isClientError = true;
}

const failing = (): Promise<never> => Promise.reject(new Error('boom'));
const succeeding = (): Promise<string> => Promise.resolve('ok');

/** The error a promise rejects with; fails the test when it fulfils. */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

/** Asserts a fail-fast rejection, both by marker and by class. */
async function expectOpen(
  promise: Promise<unknown>,
  breaker: string,
  retryAfterMs: number,
): Promise<CircuitOpenError> {
  const error = await rejectionOf(promise);
  expect(error).toBeInstanceOf(CircuitOpenError);
  if (!isSwitchboardError(error, 'CIRCUIT_OPEN')) throw new Error('expected a CIRCUIT_OPEN error');
  expect(error.breaker).toBe(breaker);
  expect(error.retryAfterMs).toBe(retryAfterMs);
  return error;
}

async function failTimes(breaker: CircuitBreaker, times: number): Promise<void> {
  for (let i = 0; i < times; i += 1) await expect(breaker.call(failing)).rejects.toThrow('boom');
}

/** Opens a breaker with failureThreshold 1 by one failure. */
async function openIt(breaker: CircuitBreaker): Promise<void> {
  await expect(breaker.call(failing)).rejects.toThrow('boom');
  expect(breaker.state).toBe('open');
}

/** Subscribes to every event; returns the log of `name` entries. */
function record(breaker: CircuitBreaker): string[] {
  const log: string[] = [];
  const names: (keyof CircuitBreakerEvents)[] = [
    'open',
    'half-open',
    'close',
    'reject',
    'success',
    'failure',
  ];
  for (const name of names) breaker.on(name, () => log.push(name));
  return log;
}

beforeEach(() => {
  vi.useFakeTimers({ now: START });
});

afterEach(() => {
  vi.useRealTimers();
});

describe('CircuitBreaker: calls while closed', () => {
  it('returns what fn returns, sync or async, and rethrows its error unchanged', async () => {
    const breaker = new CircuitBreaker('auth');
    expect(breaker.name).toBe('auth');
    expect(breaker.state).toBe('closed');
    await expect(breaker.call(() => 42)).resolves.toBe(42);
    await expect(breaker.call(() => Promise.resolve({ id: 1 }))).resolves.toEqual({ id: 1 });
    const error = new Error('sync throw');
    await expect(
      breaker.call(() => {
        throw error;
      }),
    ).rejects.toBe(error);
    const asyncError = new TypeError('async');
    await expect(breaker.call(() => Promise.reject(asyncError))).rejects.toBe(asyncError);
  });

  it("passes the caller's signal into fn, and { signal: undefined } without one", async () => {
    const breaker = new CircuitBreaker('auth');
    const controller = new AbortController();
    const seen: BreakerCallContext[] = [];
    await breaker.call((context) => seen.push(context), { signal: controller.signal });
    await breaker.call((context) => seen.push(context));
    await breaker.call((context) => seen.push(context), {});
    expect(seen[0]?.signal).toBe(controller.signal);
    expect(seen[1]).toEqual({ signal: undefined });
    expect(seen[2]).toEqual({ signal: undefined });
  });

  it('throws the abort error without calling fn when the signal is already aborted', async () => {
    const breaker = new CircuitBreaker('auth');
    const fn = vi.fn(succeeding);
    const error = await rejectionOf(breaker.call(fn, { signal: AbortSignal.abort('gone') }));
    expect(error).toBeInstanceOf(AbortError);
    expect(isSwitchboardError(error, 'ABORTED')).toBe(true);
    expect((error as AbortError).cause).toBe('gone');
    const timeout = new DOMException('late', 'TimeoutError');
    const timedOut = await rejectionOf(breaker.call(fn, { signal: AbortSignal.abort(timeout) }));
    expect(isSwitchboardError(timedOut, 'TIMEOUT')).toBe(true);
    expect(fn).not.toHaveBeenCalled();
    expect(breaker.stats()).toMatchObject({ successes: 0, failures: 0, rejections: 0 });
  });
});

describe('CircuitBreaker: opening on consecutive failures', () => {
  it('opens after 5 failures in a row by default, not after 4', async () => {
    const breaker = new CircuitBreaker('auth');
    const opened: CircuitBreakerEvents['open'][] = [];
    breaker.on('open', (event) => opened.push(event));
    await failTimes(breaker, 4);
    expect(breaker.state).toBe('closed');
    expect(opened).toHaveLength(0);
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('open');
    expect(opened).toHaveLength(1);
    expect(opened[0]).toMatchObject({ breaker: 'auth', retryAfterMs: 30_000, isolated: false });
    expect((opened[0]?.error as Error).message).toBe('boom');
  });

  it('honours failureThreshold', async () => {
    const breaker = new CircuitBreaker('auth', { failureThreshold: 2 });
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('closed');
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('open');
  });

  it('starts the count again after a success', async () => {
    const breaker = new CircuitBreaker('auth', { failureThreshold: 3 });
    await failTimes(breaker, 2);
    await breaker.call(succeeding);
    await failTimes(breaker, 2);
    expect(breaker.state).toBe('closed');
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('open');
  });

  it('rejects fast while open, without calling fn, with the time left until half-open', async () => {
    const breaker = new CircuitBreaker('auth', { failureThreshold: 1, resetTimeoutMs: 10_000 });
    const rejects: CircuitBreakerEvents['reject'][] = [];
    breaker.on('reject', (event) => rejects.push(event));
    await openIt(breaker);
    const fn = vi.fn(succeeding);
    const error = await expectOpen(breaker.call(fn), 'auth', 10_000);
    expect(error.message).toContain('"auth"');
    vi.advanceTimersByTime(2_500);
    await expectOpen(breaker.call(fn), 'auth', 7_500);
    vi.advanceTimersByTime(7_499);
    await expectOpen(breaker.call(fn), 'auth', 1);
    expect(fn).not.toHaveBeenCalled();
    expect(rejects).toEqual([
      { breaker: 'auth', state: 'open', retryAfterMs: 10_000 },
      { breaker: 'auth', state: 'open', retryAfterMs: 7_500 },
      { breaker: 'auth', state: 'open', retryAfterMs: 1 },
    ]);
    expect(breaker.stats().rejections).toBe(3);
  });

  it('keeps no timer while open', async () => {
    const breaker = new CircuitBreaker('auth', { failureThreshold: 1 });
    await openIt(breaker);
    expect(vi.getTimerCount()).toBe(0);
    await expectOpen(breaker.call(succeeding), 'auth', 30_000);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('CircuitBreaker: opening on a failure rate', () => {
  it('does not open before minimumCalls, then opens once the rate is reached', async () => {
    const breaker = new CircuitBreaker('auth', {
      failureRate: { threshold: 0.5, windowSize: 4, minimumCalls: 4 },
    });
    await failTimes(breaker, 3);
    expect(breaker.state).toBe('closed');
    await breaker.call(succeeding);
    expect(breaker.state).toBe('closed');
    // Window F F S F: 3 of 4.
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('open');
  });

  it('stays closed while the rate is under the threshold', async () => {
    const breaker = new CircuitBreaker('auth', {
      failureRate: { threshold: 0.5, windowSize: 6, minimumCalls: 2 },
    });
    // Every window ending in a failure holds 1 in 3 failures.
    for (let i = 0; i < 10; i += 1) {
      await breaker.call(succeeding);
      await breaker.call(succeeding);
      await failTimes(breaker, 1);
    }
    expect(breaker.state).toBe('closed');
  });

  it('forgets calls that slid out of the window', async () => {
    const breaker = new CircuitBreaker('auth', {
      failureRate: { threshold: 0.5, windowSize: 4, minimumCalls: 4 },
    });
    await failTimes(breaker, 3);
    for (let i = 0; i < 4; i += 1) await breaker.call(succeeding);
    // Window S S S F: 1 of 4 (counting every call ever would be 4 of 8).
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('closed');
    // Window S S F F: 2 of 4.
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('open');
  });

  it('opens exactly at a threshold whose product with the call count rounds up (0.28 × 25)', async () => {
    const breaker = new CircuitBreaker('auth', {
      failureRate: { threshold: 0.28, windowSize: 25, minimumCalls: 25 },
    });
    for (let i = 0; i < 18; i += 1) await breaker.call(succeeding);
    await failTimes(breaker, 6);
    expect(breaker.state).toBe('closed');
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('open');
  });

  it('starts with an empty window after closing again', async () => {
    const breaker = new CircuitBreaker('auth', {
      resetTimeoutMs: 1_000,
      failureRate: { threshold: 0.5, windowSize: 4, minimumCalls: 2 },
    });
    await failTimes(breaker, 2);
    expect(breaker.state).toBe('open');
    vi.advanceTimersByTime(1_000);
    await breaker.call(succeeding);
    expect(breaker.state).toBe('closed');
    // Had the two old failures stayed, this one would make 3 of 3.
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('closed');
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('open');
  });
});

describe('CircuitBreaker: half-open', () => {
  it('turns half-open after resetTimeoutMs (30 s by default), not before', async () => {
    const breaker = new CircuitBreaker('auth', { failureThreshold: 1 });
    const log = record(breaker);
    await openIt(breaker);
    vi.advanceTimersByTime(29_999);
    expect(breaker.state).toBe('open');
    await expectOpen(breaker.call(succeeding), 'auth', 1);
    vi.advanceTimersByTime(1);
    expect(breaker.state).toBe('half-open');
    expect(log).toEqual(['failure', 'open', 'reject', 'half-open']);
  });

  it('lets exactly one probe through however many calls race; the rest fail fast with retryAfterMs 0', async () => {
    const breaker = new CircuitBreaker('auth', { failureThreshold: 1, resetTimeoutMs: 1_000 });
    await openIt(breaker);
    vi.advanceTimersByTime(1_000);
    const probe = deferred();
    const fn = vi.fn(() => probe.promise);
    const rejects: CircuitBreakerEvents['reject'][] = [];
    breaker.on('reject', (event) => rejects.push(event));
    const calls = Array.from({ length: 10 }, () => breaker.call(fn));
    expect(fn).toHaveBeenCalledTimes(1);
    expect(breaker.state).toBe('half-open');
    for (const call of calls.slice(1)) await expectOpen(call, 'auth', 0);
    expect(rejects).toHaveLength(9);
    expect(rejects.every((event) => event.state === 'half-open' && event.retryAfterMs === 0)).toBe(
      true,
    );
    probe.resolve('recovered');
    await expect(calls[0]).resolves.toBe('recovered');
    expect(breaker.state).toBe('closed');
    await expect(breaker.call(succeeding)).resolves.toBe('ok');
  });

  it('closes on a successful probe and emits close once', async () => {
    const breaker = new CircuitBreaker('auth', { failureThreshold: 1, resetTimeoutMs: 1_000 });
    const closes: CircuitBreakerEvents['close'][] = [];
    breaker.on('close', (event) => closes.push(event));
    await openIt(breaker);
    vi.advanceTimersByTime(1_000);
    await breaker.call(succeeding);
    expect(breaker.state).toBe('closed');
    expect(closes).toEqual([{ breaker: 'auth' }]);
  });

  it('re-opens on a failed probe for another resetTimeoutMs', async () => {
    const breaker = new CircuitBreaker('auth', { failureThreshold: 1, resetTimeoutMs: 1_000 });
    await openIt(breaker);
    vi.advanceTimersByTime(1_500);
    await expect(breaker.call(failing)).rejects.toThrow('boom');
    expect(breaker.state).toBe('open');
    expect(breaker.stats()).toMatchObject({
      openedAt: START + 1_500,
      nextAttemptAt: START + 2_500,
    });
    await expectOpen(breaker.call(succeeding), 'auth', 1_000);
    vi.advanceTimersByTime(1_000);
    expect(breaker.state).toBe('half-open');
  });

  it('turns half-open on the call itself when nobody read the state', async () => {
    const breaker = new CircuitBreaker('auth', { failureThreshold: 1, resetTimeoutMs: 1_000 });
    const log = record(breaker);
    await openIt(breaker);
    vi.advanceTimersByTime(1_000);
    await breaker.call(succeeding);
    expect(log).toEqual(['failure', 'open', 'half-open', 'success', 'close']);
  });

  it('with halfOpenMaxCalls 3 lets 3 probes through and closes only when all 3 succeed', async () => {
    const breaker = new CircuitBreaker('auth', {
      failureThreshold: 1,
      resetTimeoutMs: 1_000,
      halfOpenMaxCalls: 3,
    });
    await openIt(breaker);
    vi.advanceTimersByTime(1_000);
    const probes = [deferred(), deferred(), deferred()];
    let next = 0;
    const fn = vi.fn(() => {
      const probe = probes[next];
      next += 1;
      if (probe === undefined) throw new Error('more probes than allowed');
      return probe.promise;
    });
    const calls = Array.from({ length: 8 }, () => breaker.call(fn));
    expect(fn).toHaveBeenCalledTimes(3);
    for (const call of calls.slice(3)) await expectOpen(call, 'auth', 0);
    probes[0]?.resolve('a');
    probes[1]?.resolve('b');
    await Promise.all(calls.slice(0, 2));
    expect(breaker.state).toBe('half-open');
    // Two probes answered but their slots stay counted: no fourth probe.
    await expectOpen(breaker.call(fn), 'auth', 0);
    probes[2]?.resolve('c');
    await expect(calls[2]).resolves.toBe('c');
    expect(breaker.state).toBe('closed');
  });

  it('with halfOpenMaxCalls 3 re-opens on any failed probe and ignores the later ones', async () => {
    const breaker = new CircuitBreaker('auth', {
      failureThreshold: 1,
      resetTimeoutMs: 1_000,
      halfOpenMaxCalls: 3,
    });
    await openIt(breaker);
    vi.advanceTimersByTime(1_000);
    const probes = [deferred(), deferred(), deferred()];
    const calls = probes.map((probe) => breaker.call(() => probe.promise));
    probes[0]?.resolve('a');
    await calls[0];
    probes[1]?.reject(new Error('still down'));
    await expect(calls[1]).rejects.toThrow('still down');
    expect(breaker.state).toBe('open');
    const openedAt = breaker.stats().openedAt;
    probes[2]?.resolve('c');
    await expect(calls[2]).resolves.toBe('c');
    expect(breaker.state).toBe('open');
    expect(breaker.stats().openedAt).toBe(openedAt);
  });

  it('keeps a probe slot taken while the probe hangs: every other caller fails fast', async () => {
    const breaker = new CircuitBreaker('auth', { failureThreshold: 1, resetTimeoutMs: 1_000 });
    await openIt(breaker);
    vi.advanceTimersByTime(1_000);
    const hung = deferred();
    const probe = breaker.call(() => hung.promise);
    vi.advanceTimersByTime(60_000);
    await expectOpen(breaker.call(succeeding), 'auth', 0);
    hung.resolve('late');
    await probe;
    expect(breaker.state).toBe('closed');
  });
});

describe('CircuitBreaker: what counts as a failure', () => {
  it('does not count client errors, and takes them as an answer (a success)', async () => {
    const breaker = new CircuitBreaker('auth', { failureThreshold: 2 });
    const successes: CircuitBreakerEvents['success'][] = [];
    breaker.on('success', (event) => successes.push(event));
    await failTimes(breaker, 1);
    const clientError = new ClientError('bad request');
    await expect(breaker.call(() => Promise.reject(clientError))).rejects.toBe(clientError);
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('closed');
    expect(breaker.stats()).toMatchObject({ successes: 1, failures: 2 });
    expect(successes).toHaveLength(1);
  });

  it('closes a half-open breaker on a client error (the callee answered)', async () => {
    const breaker = new CircuitBreaker('auth', { failureThreshold: 1, resetTimeoutMs: 1_000 });
    await openIt(breaker);
    vi.advanceTimersByTime(1_000);
    await expect(breaker.call(() => Promise.reject(new ClientError('404')))).rejects.toThrow('404');
    expect(breaker.state).toBe('closed');
  });

  it('does not count aborts thrown by fn, but counts timeouts', async () => {
    const breaker = new CircuitBreaker('auth', { failureThreshold: 1 });
    await expect(breaker.call(() => Promise.reject(new AbortError('inner abort')))).rejects.toThrow(
      'inner abort',
    );
    await expect(
      breaker.call(() => Promise.reject(new DOMException('dom', 'AbortError'))),
    ).rejects.toThrow('dom');
    expect(breaker.state).toBe('closed');
    expect(breaker.stats()).toMatchObject({ successes: 0, failures: 0, neutral: 2 });
    await expect(breaker.call(() => Promise.reject(new TimeoutError('too slow')))).rejects.toThrow(
      'too slow',
    );
    expect(breaker.state).toBe('open');
  });

  it("neither closes nor re-opens a half-open breaker on fn's own abort, and frees the probe slot", async () => {
    const breaker = new CircuitBreaker('auth', { failureThreshold: 1, resetTimeoutMs: 1_000 });
    await openIt(breaker);
    vi.advanceTimersByTime(1_000);
    await expect(breaker.call(() => Promise.reject(new AbortError('inner abort')))).rejects.toThrow(
      'inner abort',
    );
    expect(breaker.state).toBe('half-open');
    await expect(breaker.call(() => 'probe')).resolves.toBe('probe');
    expect(breaker.state).toBe('closed');
  });

  it('uses isFailure when given, and counts the other errors as successes', async () => {
    const isFailure = vi.fn((error: unknown) => (error as { status?: number }).status === 503);
    const breaker = new CircuitBreaker('auth', { failureThreshold: 2, isFailure });
    const notFound = Object.assign(new Error('not found'), { status: 404 });
    const unavailable = Object.assign(new Error('unavailable'), { status: 503 });
    await expect(breaker.call(() => Promise.reject(unavailable))).rejects.toBe(unavailable);
    await expect(breaker.call(() => Promise.reject(notFound))).rejects.toBe(notFound);
    await expect(breaker.call(() => Promise.reject(unavailable))).rejects.toBe(unavailable);
    expect(breaker.state).toBe('closed');
    await expect(breaker.call(() => Promise.reject(unavailable))).rejects.toBe(unavailable);
    expect(breaker.state).toBe('open');
    expect(isFailure.mock.calls.map(([error]) => error)).toEqual([
      unavailable,
      notFound,
      unavailable,
      unavailable,
    ]);
    expect(breaker.stats()).toMatchObject({ successes: 1, failures: 3 });
  });

  it("treats an error while the caller's signal is aborted as neutral", async () => {
    const breaker = new CircuitBreaker('auth', { failureThreshold: 2 });
    const log = record(breaker);
    await failTimes(breaker, 1);
    const controller = new AbortController();
    const call = breaker.call(
      ({ signal }) =>
        new Promise((_resolve, reject) => {
          signal?.addEventListener('abort', () => {
            reject(new Error('connection torn down'));
          });
        }),
      { signal: controller.signal },
    );
    controller.abort();
    await expect(call).rejects.toThrow('connection torn down');
    // Neither a failure nor a success: the run of failures goes on.
    expect(breaker.stats()).toMatchObject({ state: 'closed', successes: 0, failures: 1 });
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('open');
    expect(log).toEqual(['failure', 'failure', 'open']);
  });

  it('frees the probe slot of a half-open probe whose caller gave up, without a state change', async () => {
    const breaker = new CircuitBreaker('auth', { failureThreshold: 1, resetTimeoutMs: 1_000 });
    await openIt(breaker);
    vi.advanceTimersByTime(1_000);
    const controller = new AbortController();
    const probe = breaker.call(
      ({ signal }) =>
        new Promise((_resolve, reject) => {
          signal?.addEventListener('abort', () => {
            reject(signal.reason as Error);
          });
        }),
      { signal: controller.signal },
    );
    await expectOpen(breaker.call(succeeding), 'auth', 0);
    controller.abort();
    await expect(probe).rejects.toThrow();
    expect(breaker.state).toBe('half-open');
    await expect(breaker.call(succeeding)).resolves.toBe('ok');
    expect(breaker.state).toBe('closed');
  });

  it('counts a result that arrives after the caller aborted as a success', async () => {
    const breaker = new CircuitBreaker('auth', { failureThreshold: 1, resetTimeoutMs: 1_000 });
    await openIt(breaker);
    vi.advanceTimersByTime(1_000);
    const controller = new AbortController();
    const answer = deferred();
    const probe = breaker.call(() => answer.promise, { signal: controller.signal });
    controller.abort();
    answer.resolve('anyway');
    await expect(probe).resolves.toBe('anyway');
    expect(breaker.state).toBe('closed');
  });
});

describe('CircuitBreaker: slow calls', () => {
  it('returns the result of a slow call but counts it as a failure', async () => {
    const breaker = new CircuitBreaker('auth', { failureThreshold: 2, slowCallMs: 100 });
    const successes: CircuitBreakerEvents['success'][] = [];
    const opened: CircuitBreakerEvents['open'][] = [];
    breaker.on('success', (event) => successes.push(event));
    breaker.on('open', (event) => opened.push(event));
    const slowCall = async (ms: number): Promise<string> => {
      const answer = deferred();
      const call = breaker.call(() => answer.promise);
      vi.advanceTimersByTime(ms);
      answer.resolve(`after ${ms}`);
      return call;
    };
    await expect(slowCall(99)).resolves.toBe('after 99');
    await expect(slowCall(100)).resolves.toBe('after 100');
    expect(breaker.state).toBe('closed');
    await expect(slowCall(250)).resolves.toBe('after 250');
    expect(breaker.state).toBe('open');
    expect(successes).toEqual([
      { breaker: 'auth', durationMs: 99, slow: false },
      { breaker: 'auth', durationMs: 100, slow: true },
      { breaker: 'auth', durationMs: 250, slow: true },
    ]);
    expect((opened[0]?.error as Error).message).toContain('slow call');
    expect(breaker.stats()).toMatchObject({
      successes: 3,
      failures: 0,
      slowCalls: 2,
      lastFailure: undefined,
    });
  });

  it('re-opens a half-open breaker on a slow probe', async () => {
    const breaker = new CircuitBreaker('auth', {
      failureThreshold: 1,
      resetTimeoutMs: 1_000,
      slowCallMs: 50,
    });
    await openIt(breaker);
    vi.advanceTimersByTime(1_000);
    const answer = deferred();
    const probe = breaker.call(() => answer.promise);
    vi.advanceTimersByTime(50);
    answer.resolve('slow');
    await expect(probe).resolves.toBe('slow');
    expect(breaker.state).toBe('open');
  });

  it('counts a slow client error as slow too', async () => {
    const breaker = new CircuitBreaker('auth', { failureThreshold: 1, slowCallMs: 50 });
    const answer = deferred();
    const call = breaker.call(() => answer.promise);
    vi.advanceTimersByTime(60);
    answer.reject(new ClientError('slow 400'));
    await expect(call).rejects.toThrow('slow 400');
    expect(breaker.stats()).toMatchObject({
      state: 'open',
      successes: 1,
      slowCalls: 1,
      failures: 0,
    });
  });
});

describe('CircuitBreaker: outcomes from an earlier state never move it', () => {
  it('a call that started before the breaker opened cannot close it', async () => {
    const breaker = new CircuitBreaker('auth', { failureThreshold: 1, resetTimeoutMs: 1_000 });
    const early = deferred();
    const earlyCall = breaker.call(() => early.promise);
    await openIt(breaker);
    early.resolve('late success');
    await expect(earlyCall).resolves.toBe('late success');
    expect(breaker.state).toBe('open');
    expect(breaker.stats().successes).toBe(1);
  });

  it('a call from before the outage cannot close a probing breaker, nor take its probe slot', async () => {
    const breaker = new CircuitBreaker('auth', { failureThreshold: 1, resetTimeoutMs: 1_000 });
    const early = deferred();
    const earlyCall = breaker.call(() => early.promise);
    await openIt(breaker);
    vi.advanceTimersByTime(1_000);
    const probe = deferred();
    const probeCall = breaker.call(() => probe.promise);
    early.resolve('late success');
    await earlyCall;
    expect(breaker.state).toBe('half-open');
    probe.resolve('probe');
    await probeCall;
    expect(breaker.state).toBe('closed');
  });

  it('a failure from before the outage cannot re-open a probing breaker', async () => {
    const breaker = new CircuitBreaker('auth', { failureThreshold: 1, resetTimeoutMs: 1_000 });
    const early = deferred();
    const earlyCall = breaker.call(() => early.promise);
    await openIt(breaker);
    vi.advanceTimersByTime(1_000);
    expect(breaker.state).toBe('half-open');
    early.reject(new Error('late failure'));
    await expect(earlyCall).rejects.toThrow('late failure');
    expect(breaker.state).toBe('half-open');
    expect(breaker.stats().failures).toBe(2);
  });

  it('a caller abort from before the outage does not free a probe slot', async () => {
    const breaker = new CircuitBreaker('auth', { failureThreshold: 1, resetTimeoutMs: 1_000 });
    const controller = new AbortController();
    const early = deferred();
    const earlyCall = breaker.call(() => early.promise, { signal: controller.signal });
    await openIt(breaker);
    vi.advanceTimersByTime(1_000);
    const probe = deferred();
    const probeCall = breaker.call(() => probe.promise);
    controller.abort();
    early.reject(new Error('torn down'));
    await expect(earlyCall).rejects.toThrow('torn down');
    await expectOpen(breaker.call(succeeding), 'auth', 0);
    probe.resolve('probe');
    await probeCall;
    expect(breaker.state).toBe('closed');
  });

  it('a failure from before reset() does not count', async () => {
    const breaker = new CircuitBreaker('auth', { failureThreshold: 1 });
    const early = deferred();
    const earlyCall = breaker.call(() => early.promise);
    breaker.reset();
    early.reject(new Error('late failure'));
    await expect(earlyCall).rejects.toThrow('late failure');
    expect(breaker.state).toBe('closed');
  });
});

describe('CircuitBreaker: isolate() and reset()', () => {
  it('isolate() holds the breaker open until reset(), with retryAfterMs Infinity', async () => {
    const breaker = new CircuitBreaker('auth', { resetTimeoutMs: 1_000 });
    const opened: CircuitBreakerEvents['open'][] = [];
    breaker.on('open', (event) => opened.push(event));
    breaker.isolate();
    expect(opened).toEqual([
      { breaker: 'auth', error: undefined, retryAfterMs: Infinity, isolated: true },
    ]);
    vi.advanceTimersByTime(365 * 24 * 3_600_000);
    expect(breaker.state).toBe('open');
    const fn = vi.fn(succeeding);
    const error = await expectOpen(breaker.call(fn), 'auth', Infinity);
    expect(error.message).toContain('isolated');
    expect(fn).not.toHaveBeenCalled();
    expect(breaker.stats().nextAttemptAt).toBeNull();
    expect(JSON.parse(JSON.stringify(breaker))).toMatchObject({
      state: 'open',
      nextAttemptAt: null,
    });
    breaker.reset();
    expect(breaker.state).toBe('closed');
    await expect(breaker.call(fn)).resolves.toBe('ok');
  });

  it('isolate() also holds a half-open breaker, and its probes cannot close it', async () => {
    const breaker = new CircuitBreaker('auth', { failureThreshold: 1, resetTimeoutMs: 1_000 });
    await openIt(breaker);
    vi.advanceTimersByTime(1_000);
    const probe = deferred();
    const probeCall = breaker.call(() => probe.promise);
    breaker.isolate();
    probe.resolve('ok');
    await probeCall;
    expect(breaker.state).toBe('open');
    await expectOpen(breaker.call(succeeding), 'auth', Infinity);
  });

  it('reset() closes the breaker and forgets the failure history', async () => {
    const breaker = new CircuitBreaker('auth', { failureThreshold: 3 });
    const log = record(breaker);
    await failTimes(breaker, 2);
    breaker.reset();
    // Already closed: no close event.
    expect(log).toEqual(['failure', 'failure']);
    await failTimes(breaker, 2);
    expect(breaker.state).toBe('closed');
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('open');
    breaker.reset();
    expect(breaker.state).toBe('closed');
    expect(log.at(-1)).toBe('close');
    await failTimes(breaker, 2);
    expect(breaker.state).toBe('closed');
  });

  it('keeps a half-open listener that isolates the breaker from letting the triggering call through', async () => {
    const breaker = new CircuitBreaker('auth', { failureThreshold: 1, resetTimeoutMs: 1_000 });
    await openIt(breaker);
    breaker.on('half-open', () => {
      breaker.isolate();
    });
    vi.advanceTimersByTime(1_000);
    const fn = vi.fn(succeeding);
    await expectOpen(breaker.call(fn), 'auth', Infinity);
    expect(fn).not.toHaveBeenCalled();
    expect(breaker.state).toBe('open');
  });
});

describe('CircuitBreaker: stats() and toJSON()', () => {
  it('reports counters, the last failure, and when it opened and will probe', async () => {
    const breaker = new CircuitBreaker('auth', { failureThreshold: 2, resetTimeoutMs: 5_000 });
    expect(breaker.stats()).toEqual({
      name: 'auth',
      state: 'closed',
      successes: 0,
      failures: 0,
      slowCalls: 0,
      rejections: 0,
      neutral: 0,
      lastFailure: undefined,
      openedAt: undefined,
      nextAttemptAt: undefined,
    });
    await breaker.call(succeeding);
    vi.advanceTimersByTime(100);
    await failTimes(breaker, 1);
    vi.advanceTimersByTime(100);
    await expect(
      breaker.call(() => Promise.reject(new TypeError('bad gateway'))),
    ).rejects.toThrow();
    await expect(breaker.call(succeeding)).rejects.toThrow(CircuitOpenError);
    const stats = breaker.stats();
    expect(stats).toEqual({
      name: 'auth',
      state: 'open',
      successes: 1,
      failures: 2,
      slowCalls: 0,
      rejections: 1,
      neutral: 0,
      lastFailure: { at: START + 200, error: 'TypeError: bad gateway' },
      openedAt: START + 200,
      nextAttemptAt: START + 5_200,
    });
    expect(breaker.toJSON()).toEqual(stats);
    expect(JSON.parse(JSON.stringify(breaker))).toEqual(JSON.parse(JSON.stringify(stats)));
    vi.advanceTimersByTime(5_000);
    expect(breaker.stats()).toMatchObject({
      state: 'half-open',
      openedAt: START + 200,
      nextAttemptAt: undefined,
    });
  });

  it('returns a snapshot that later calls do not change', async () => {
    const breaker = new CircuitBreaker('auth');
    const before = breaker.stats();
    await breaker.call(succeeding);
    expect(before.successes).toBe(0);
    expect(breaker.stats().successes).toBe(1);
  });

  it('describes a non-Error failure', async () => {
    const breaker = new CircuitBreaker('auth');
    await expect(
      breaker.call(() => Promise.reject(new Error('x', { cause: 1 }))),
    ).rejects.toThrow();
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- callees do reject with non-errors
    await expect(breaker.call(() => Promise.reject('plain string'))).rejects.toBe('plain string');
    expect(breaker.stats().lastFailure?.error).toBe('plain string');
  });
});

describe('CircuitBreaker: events', () => {
  it('emits typed payloads for every event', async () => {
    const breaker = new CircuitBreaker('auth', { failureThreshold: 1, resetTimeoutMs: 1_000 });
    const seen: unknown[] = [];
    breaker.on('success', (event) => seen.push(['success', event]));
    breaker.on('failure', (event) => seen.push(['failure', event]));
    breaker.on('open', (event) => seen.push(['open', event]));
    breaker.on('reject', (event) => seen.push(['reject', event]));
    breaker.on('half-open', (event) => seen.push(['half-open', event]));
    breaker.on('close', (event) => seen.push(['close', event]));
    const slow = deferred();
    const first = breaker.call(() => slow.promise);
    vi.advanceTimersByTime(40);
    slow.resolve('x');
    await first;
    const error = new Error('boom');
    const failed = deferred();
    const second = breaker.call(() => failed.promise);
    vi.advanceTimersByTime(70);
    failed.reject(error);
    await expect(second).rejects.toBe(error);
    await expect(breaker.call(succeeding)).rejects.toThrow(CircuitOpenError);
    vi.advanceTimersByTime(1_000);
    await breaker.call(succeeding);
    expect(seen).toEqual([
      ['success', { breaker: 'auth', durationMs: 40, slow: false }],
      ['failure', { breaker: 'auth', error, durationMs: 70 }],
      ['open', { breaker: 'auth', error, retryAfterMs: 1_000, isolated: false }],
      ['reject', { breaker: 'auth', state: 'open', retryAfterMs: 1_000 }],
      ['half-open', { breaker: 'auth' }],
      ['success', { breaker: 'auth', durationMs: 0, slow: false }],
      ['close', { breaker: 'auth' }],
    ]);
  });

  it('returns an unsubscribe function; the same listener twice is two subscriptions', async () => {
    const breaker = new CircuitBreaker('auth');
    const listener = vi.fn();
    const offFirst = breaker.on('success', listener);
    const offSecond = breaker.on('success', listener);
    await breaker.call(succeeding);
    expect(listener).toHaveBeenCalledTimes(2);
    offFirst();
    await breaker.call(succeeding);
    expect(listener).toHaveBeenCalledTimes(3);
    offSecond();
    offSecond();
    await breaker.call(succeeding);
    expect(listener).toHaveBeenCalledTimes(3);
  });

  it('behaves the same when every listener throws; the errors are rethrown later', async () => {
    const realNextTick = process.nextTick.bind(process);
    const rethrown: unknown[] = [];
    // Catch the emitter's deferred rethrow here instead of letting it reach vitest.
    const spy = vi.spyOn(process, 'nextTick').mockImplementation((...params: unknown[]) => {
      const [callback, ...args] = params;
      realNextTick(() => {
        try {
          Reflect.apply(callback as (...args: unknown[]) => void, undefined, args);
        } catch (error) {
          rethrown.push(error);
        }
      });
    });
    try {
      const scenario = async (breaker: CircuitBreaker): Promise<string[]> => {
        const trace: string[] = [];
        const step = async (fn: () => Promise<string>): Promise<void> => {
          try {
            trace.push(`ok:${await breaker.call(fn)}`);
          } catch (error) {
            trace.push(
              isSwitchboardError(error, 'CIRCUIT_OPEN') ? `open:${error.retryAfterMs}` : 'error',
            );
          }
          trace.push(breaker.state);
        };
        await step(succeeding);
        await step(failing);
        await step(failing);
        await step(succeeding);
        vi.advanceTimersByTime(1_000);
        await step(failing);
        vi.advanceTimersByTime(1_000);
        await step(succeeding);
        return trace;
      };
      const options: CircuitBreakerOptions = { failureThreshold: 2, resetTimeoutMs: 1_000 };
      const quiet = await scenario(new CircuitBreaker('quiet', options));
      const noisy = new CircuitBreaker('noisy', options);
      const names: (keyof CircuitBreakerEvents)[] = [
        'open',
        'half-open',
        'close',
        'reject',
        'success',
        'failure',
      ];
      for (const name of names) {
        noisy.on(name, () => {
          throw new Error(`listener of ${name}`);
        });
      }
      const loud = await scenario(noisy);
      expect(loud).toEqual(quiet);
      expect(quiet).toContain('open:1000');
      await new Promise<void>((resolve) => {
        realNextTick(resolve);
      });
      expect(rethrown.map((error) => (error as Error).message).sort()).toEqual(
        [
          'listener of close',
          'listener of failure',
          'listener of failure',
          'listener of failure',
          'listener of half-open',
          'listener of half-open',
          'listener of open',
          'listener of open',
          'listener of reject',
          'listener of success',
          'listener of success',
        ].sort(),
      );
    } finally {
      spy.mockRestore();
    }
  });

  it("publishes { breaker, from, to } on 'switchboard:circuit-breaker:state' for each transition", async () => {
    const messages: unknown[] = [];
    const onMessage = (message: unknown): void => {
      if ((message as { breaker?: unknown }).breaker === 'traced') messages.push(message);
    };
    subscribe('switchboard:circuit-breaker:state', onMessage);
    try {
      const breaker = new CircuitBreaker('traced', { failureThreshold: 1, resetTimeoutMs: 1_000 });
      await openIt(breaker);
      vi.advanceTimersByTime(1_000);
      await expect(breaker.call(failing)).rejects.toThrow('boom');
      vi.advanceTimersByTime(1_000);
      await breaker.call(succeeding);
      breaker.reset();
      breaker.isolate();
      breaker.isolate();
      breaker.reset();
      const to = (from: CircuitState, next: CircuitState): unknown => ({
        breaker: 'traced',
        from,
        to: next,
      });
      expect(messages).toEqual([
        to('closed', 'open'),
        to('open', 'half-open'),
        to('half-open', 'open'),
        to('open', 'half-open'),
        to('half-open', 'closed'),
        to('closed', 'open'),
        to('open', 'closed'),
      ]);
    } finally {
      unsubscribe('switchboard:circuit-breaker:state', onMessage);
    }
  });
});

describe('CircuitBreaker: options', () => {
  type Bad = [
    description: string,
    options: unknown,
    option: string,
    kind: typeof TypeError | typeof RangeError,
  ];
  const bad: Bad[] = [
    ['negative failureThreshold', { failureThreshold: -1 }, 'failureThreshold', RangeError],
    ['zero failureThreshold', { failureThreshold: 0 }, 'failureThreshold', RangeError],
    ['fractional failureThreshold', { failureThreshold: 2.5 }, 'failureThreshold', RangeError],
    ['infinite failureThreshold', { failureThreshold: Infinity }, 'failureThreshold', RangeError],
    ['NaN failureThreshold', { failureThreshold: NaN }, 'failureThreshold', TypeError],
    ['string failureThreshold', { failureThreshold: '5' }, 'failureThreshold', TypeError],
    ['negative resetTimeoutMs', { resetTimeoutMs: -1 }, 'resetTimeoutMs', RangeError],
    ['infinite resetTimeoutMs', { resetTimeoutMs: Infinity }, 'resetTimeoutMs', RangeError],
    ['NaN resetTimeoutMs', { resetTimeoutMs: NaN }, 'resetTimeoutMs', TypeError],
    ['zero halfOpenMaxCalls', { halfOpenMaxCalls: 0 }, 'halfOpenMaxCalls', RangeError],
    ['negative halfOpenMaxCalls', { halfOpenMaxCalls: -2 }, 'halfOpenMaxCalls', RangeError],
    ['fractional halfOpenMaxCalls', { halfOpenMaxCalls: 1.5 }, 'halfOpenMaxCalls', RangeError],
    ['zero slowCallMs', { slowCallMs: 0 }, 'slowCallMs', RangeError],
    ['infinite slowCallMs', { slowCallMs: Infinity }, 'slowCallMs', RangeError],
    [
      'zero failureRate.threshold',
      { failureRate: { threshold: 0 } },
      'failureRate.threshold',
      RangeError,
    ],
    [
      'failureRate.threshold over 1',
      { failureRate: { threshold: 1.01 } },
      'failureRate.threshold',
      RangeError,
    ],
    [
      'negative failureRate.threshold',
      { failureRate: { threshold: -0.5 } },
      'failureRate.threshold',
      RangeError,
    ],
    ['missing failureRate.threshold', { failureRate: {} }, 'failureRate.threshold', TypeError],
    [
      'fractional failureRate.windowSize',
      { failureRate: { threshold: 0.5, windowSize: 10.5, minimumCalls: 5 } },
      'failureRate.windowSize',
      RangeError,
    ],
    [
      'zero failureRate.minimumCalls',
      { failureRate: { threshold: 0.5, minimumCalls: 0 } },
      'failureRate.minimumCalls',
      RangeError,
    ],
    [
      'window smaller than minimumCalls',
      { failureRate: { threshold: 0.5, windowSize: 5, minimumCalls: 6 } },
      'failureRate.windowSize',
      RangeError,
    ],
    ['failureRate that is not an object', { failureRate: null }, 'failureRate', TypeError],
    [
      'failureThreshold with failureRate',
      { failureThreshold: 3, failureRate: { threshold: 0.5 } },
      'failureRate',
      TypeError,
    ],
    ['a non-function isFailure', { isFailure: true }, 'isFailure', TypeError],
    [
      'strategy with failureThreshold',
      { strategy: okStrategy(), failureThreshold: 2 },
      'strategy',
      TypeError,
    ],
    [
      'strategy without failure()',
      { strategy: { success() {}, reset() {} } },
      'strategy.failure',
      TypeError,
    ],
    ['strategy that is not an object', { strategy: null }, 'strategy', TypeError],
  ];

  it.each(bad)(
    'rejects %s at construction, naming the option',
    (_description, options, option, kind) => {
      let thrown: unknown;
      try {
        new CircuitBreaker('auth', options as CircuitBreakerOptions);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(kind);
      expect(thrown).toMatchObject({ code: 'ERR_SWITCHBOARD_INVALID_OPTION', option });
      expect((thrown as Error).message).toContain(option);
    },
  );

  it('names the other option when two cannot be combined, and minimumCalls when the window is too small', () => {
    expect(
      () => new CircuitBreaker('auth', { failureThreshold: 3, failureRate: { threshold: 0.5 } }),
    ).toThrow(/failureThreshold/);
    expect(
      () =>
        new CircuitBreaker('auth', {
          failureRate: { threshold: 0.5, windowSize: 5, minimumCalls: 6 },
        }),
    ).toThrow(/minimumCalls/);
  });

  it('rejects an empty or non-string name', () => {
    expect(() => new CircuitBreaker('')).toThrow(TypeError);
    expect(() => new CircuitBreaker(undefined as unknown as string)).toThrow(
      expect.objectContaining({ option: 'name' }),
    );
  });

  it('accepts the edges of every range', async () => {
    const breaker = new CircuitBreaker('auth', {
      resetTimeoutMs: 0,
      halfOpenMaxCalls: 1,
      slowCallMs: 1,
      failureRate: { threshold: 1, windowSize: 3, minimumCalls: 3 },
    });
    await failTimes(breaker, 3);
    expect(breaker.state).toBe('half-open');
    expect(() => new CircuitBreaker('auth', { failureThreshold: 1 })).not.toThrow();
  });

  it("never mutates the caller's options object", async () => {
    const isFailure = (): boolean => true;
    const failureRate = Object.freeze({ threshold: 0.5, windowSize: 4, minimumCalls: 2 });
    const options = Object.freeze({
      failureRate,
      resetTimeoutMs: 1_000,
      halfOpenMaxCalls: 2,
      isFailure,
    });
    const copy = { ...options, failureRate: { ...failureRate } };
    const breaker = new CircuitBreaker('auth', options);
    await failTimes(breaker, 2);
    vi.advanceTimersByTime(1_000);
    await breaker.call(succeeding);
    await breaker.call(succeeding);
    breaker.isolate();
    breaker.reset();
    expect(options).toEqual(copy);
    expect(Object.keys(options)).toEqual([
      'failureRate',
      'resetTimeoutMs',
      'halfOpenMaxCalls',
      'isFailure',
    ]);
    const defaults: CircuitBreakerOptions = {};
    new CircuitBreaker('auth', defaults);
    expect(defaults).toEqual({});
  });

  it('takes a custom strategy, feeds it only closed-state outcomes, and resets it on close', async () => {
    const calls: string[] = [];
    let failures = 0;
    const strategy: BreakerStrategy = {
      success: () => calls.push('success'),
      failure: () => {
        calls.push('failure');
        failures += 1;
        return failures === 3;
      },
      reset: () => {
        calls.push('reset');
        failures = 0;
      },
    };
    const breaker = new CircuitBreaker('auth', { strategy, resetTimeoutMs: 1_000 });
    await breaker.call(succeeding);
    await failTimes(breaker, 3);
    expect(breaker.state).toBe('open');
    vi.advanceTimersByTime(1_000);
    await breaker.call(succeeding);
    expect(calls).toEqual(['success', 'failure', 'failure', 'failure', 'reset']);
  });
});

function okStrategy(): BreakerStrategy {
  return { success() {}, failure: () => false, reset() {} };
}
