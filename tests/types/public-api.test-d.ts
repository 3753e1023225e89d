import { describe, expectTypeOf, it } from 'vitest';
import {
  CircuitBreaker,
  RetryPolicy,
  isSwitchboardError,
  type BreakerCallContext,
  type CircuitOpenError,
  type CircuitState,
  type RetryAttemptContext,
  type RetryExhaustedError,
} from 'switchboard';

describe('public types', () => {
  it('breaker.call infers the result and passes a context with the signal', () => {
    const breaker = new CircuitBreaker('auth');
    expectTypeOf(breaker.call(() => 42)).toEqualTypeOf<Promise<number>>();
    expectTypeOf(breaker.call(() => Promise.resolve('x'))).toEqualTypeOf<Promise<string>>();
    expectTypeOf<
      Parameters<Parameters<typeof breaker.call>[0]>[0]
    >().toEqualTypeOf<BreakerCallContext>();
    expectTypeOf(breaker.state).toEqualTypeOf<CircuitState>();
  });

  it('breaker events are typed by name, and on() returns an unsubscribe function', () => {
    const breaker = new CircuitBreaker('auth');
    const off = breaker.on('open', (event) => {
      expectTypeOf(event.retryAfterMs).toBeNumber();
      expectTypeOf(event.isolated).toBeBoolean();
    });
    expectTypeOf(off).toEqualTypeOf<() => void>();
    // @ts-expect-error: no such event
    breaker.on('opened', () => undefined);
    breaker.on('reject', (event) => {
      expectTypeOf(event.state).toEqualTypeOf<'open' | 'half-open'>();
    });
  });

  it('options are checked at compile time', () => {
    // @ts-expect-error: failureThreshold is a number
    new CircuitBreaker('auth', { failureThreshold: '5' });
    // @ts-expect-error: unknown option
    new CircuitBreaker('auth', { threshold: 5 });
    // @ts-expect-error: jitter is 'full' | 'none'
    new RetryPolicy({ jitter: 'half' });
  });

  it('retry.execute infers the result and gives each attempt its context', () => {
    const retry = new RetryPolicy();
    expectTypeOf(retry.execute(() => Promise.resolve(1))).toEqualTypeOf<Promise<number>>();
    void retry.execute((context) => {
      expectTypeOf(context).toEqualTypeOf<RetryAttemptContext>();
      expectTypeOf(context.attempt).toBeNumber();
      return 1;
    });
  });

  it('isSwitchboardError narrows by code', () => {
    const error: unknown = null;
    if (isSwitchboardError(error, 'CIRCUIT_OPEN'))
      expectTypeOf(error).toEqualTypeOf<CircuitOpenError>();
    if (isSwitchboardError(error, 'RETRY_EXHAUSTED')) {
      expectTypeOf(error).toEqualTypeOf<RetryExhaustedError>();
      expectTypeOf(error.attempts).toEqualTypeOf<readonly unknown[]>();
    }
    // @ts-expect-error: not a code the library uses
    isSwitchboardError(error, 'NOPE');
  });
});
