import { getEventListeners, getMaxListeners, setMaxListeners } from 'node:events';
import { AbortError, SwitchboardError, TimeoutError, isSwitchboardError } from 'switchboard';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { delay, listenForAbort, raceAbort, throwIfAborted } from '../../src/internal/abort.js';

// Resolves with the rejection of `promise`; fails the test if it fulfils.
async function rejectionOf(promise: PromiseLike<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

function observe(promise: Promise<unknown>): {
  readonly settled: boolean;
  readonly done: Promise<unknown>;
} {
  const state = { settled: false, done: Promise.resolve() as Promise<unknown> };
  state.done = promise.then(
    (value) => {
      state.settled = true;
      return value;
    },
    (error: unknown) => {
      state.settled = true;
      return error;
    },
  );
  return state;
}

describe('throwIfAborted', () => {
  it('does nothing without a signal or with a live one', () => {
    expect(() => {
      throwIfAborted(undefined);
    }).not.toThrow();
    expect(() => {
      throwIfAborted(new AbortController().signal);
    }).not.toThrow();
  });

  it("throws an AbortError (code 'ABORTED') whose cause is the signal's reason", () => {
    const reason = new Error('user left');
    let thrown: unknown;
    try {
      throwIfAborted(AbortSignal.abort(reason));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(AbortError);
    expect(isSwitchboardError(thrown, 'ABORTED')).toBe(true);
    expect((thrown as AbortError).cause).toBe(reason);
  });

  it('keeps a non-Error reason as the cause', () => {
    expect(() => {
      throwIfAborted(AbortSignal.abort('shutting down'));
    }).toThrow(expect.objectContaining({ code: 'ABORTED', cause: 'shutting down' }) as Error);
  });

  it('throws a SwitchboardError reason itself', () => {
    const reason = new TimeoutError('deadline', { timeoutMs: 5 });
    expect(() => {
      throwIfAborted(AbortSignal.abort(reason));
    }).toThrow(reason);
  });

  it("turns AbortSignal.timeout()'s reason into a TimeoutError", async () => {
    // Real timers: AbortSignal.timeout() runs on Node's internal timers.
    const signal = AbortSignal.timeout(1);
    await new Promise<void>((resolve) => {
      signal.addEventListener('abort', () => {
        resolve();
      });
    });
    let thrown: unknown;
    try {
      throwIfAborted(signal);
    } catch (error) {
      thrown = error;
    }
    expect(isSwitchboardError(thrown, 'TIMEOUT')).toBe(true);
    expect((thrown as TimeoutError).cause).toBe(signal.reason);
  });
});

describe('delay', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('resolves after ms, not before, and leaves no timer', async () => {
    const wait = observe(delay(100));
    await vi.advanceTimersByTimeAsync(99);
    expect(wait.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(wait.settled).toBe(true);
    expect(await wait.done).toBeUndefined();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('removes its abort listener when the wait ends', async () => {
    const controller = new AbortController();
    const wait = delay(10, controller.signal);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(10);
    await wait;
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('rejects at once, with no timer, when the signal is already aborted', async () => {
    const reason = new Error('gone');
    const wait = delay(1_000, AbortSignal.abort(reason));
    expect(vi.getTimerCount()).toBe(0);
    const error = await rejectionOf(wait);
    expect(error).toBeInstanceOf(AbortError);
    expect((error as AbortError).cause).toBe(reason);
  });

  it('rejects as soon as the signal aborts and clears its timer', async () => {
    const controller = new AbortController();
    const wait = observe(delay(1_000, controller.signal));
    await vi.advanceTimersByTimeAsync(10);
    const reason = new SwitchboardError('stop');
    controller.abort(reason);
    await vi.advanceTimersByTimeAsync(0);
    expect(wait.settled).toBe(true);
    expect(await wait.done).toBe(reason);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('waits the whole time when ms exceeds the 2^31 − 1 ms a timer can hold', async () => {
    // setTimeout turns a longer delay into 1 ms; a long wait must not become a busy loop.
    const day = 86_400_000;
    const wait = observe(delay(30 * day));
    await vi.advanceTimersByTimeAsync(25 * day);
    expect(wait.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(5 * day - 1);
    expect(wait.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(wait.settled).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('can be aborted during the second leg of a long wait', async () => {
    const controller = new AbortController();
    const wait = observe(delay(2 ** 32, controller.signal));
    await vi.advanceTimersByTimeAsync(2 ** 31 + 5);
    expect(wait.settled).toBe(false);
    controller.abort();
    await vi.advanceTimersByTimeAsync(0);
    expect(wait.settled).toBe(true);
    expect(isSwitchboardError(await wait.done, 'ABORTED')).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});

describe('raceAbort', () => {
  it('settles like the promise while the signal stays live, and removes its listener', async () => {
    const controller = new AbortController();
    await expect(raceAbort(Promise.resolve(7), controller.signal)).resolves.toBe(7);
    const failure = new Error('failed');
    expect(await rejectionOf(raceAbort(Promise.reject(failure), controller.signal))).toBe(failure);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('rejects as soon as the signal aborts, even if the promise never settles', async () => {
    const controller = new AbortController();
    const race = observe(raceAbort(new Promise<never>(() => undefined), controller.signal));
    await Promise.resolve();
    expect(race.settled).toBe(false);
    const reason = new TimeoutError('deadline');
    controller.abort(reason);
    expect(await race.done).toBe(reason);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('rejects at once for an already aborted signal, and observes the abandoned rejection', async () => {
    const unhandled = vi.fn();
    process.on('unhandledRejection', unhandled);
    try {
      const late = Promise.reject(new Error('late failure'));
      const error = await rejectionOf(raceAbort(late, AbortSignal.abort('bye')));
      expect(isSwitchboardError(error, 'ABORTED')).toBe(true);
      // Let Node report unhandled rejections, if any.
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).not.toHaveBeenCalled();
    } finally {
      process.off('unhandledRejection', unhandled);
    }
  });
});

describe('listenForAbort', () => {
  it('lets one signal serve many calls at once without a MaxListenersExceededWarning', async () => {
    const controller = new AbortController();
    const waits = Array.from({ length: 20 }, () => delay(5, controller.signal));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(20);
    // The guard in tests/support/guard.ts fails this test on the warning.
    await Promise.all(waits);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    // Node 22 and later give an AbortController's signal no limit (0) from
    // the start; Node 20 gives it the default of 10, which must be lifted.
    const limit = getMaxListeners(controller.signal);
    expect(limit === 0 || limit > 20).toBe(true);
  });

  it('leaves a limit the caller set alone', () => {
    const controller = new AbortController();
    setMaxListeners(5, controller.signal);
    listenForAbort(controller.signal, () => undefined);
    expect(getMaxListeners(controller.signal)).toBe(5);
  });
});
