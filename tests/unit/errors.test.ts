import { describe, expect, it } from 'vitest';
import {
  AbortError,
  CircuitOpenError,
  HttpError,
  InvalidResponseError,
  InvalidUrlError,
  NetworkError,
  ResponseValidationError,
  ServiceNotFoundError,
  ServiceUnavailableError,
  RetryExhaustedError,
  SwitchboardError,
  TimeoutError,
  abortErrorFrom,
  isAbortError,
  isClientError,
  isSwitchboardError,
} from 'switchboard';

describe('the error hierarchy', () => {
  it('gives every class a stable code and name, and keeps cause', () => {
    const cause = new Error('root');
    const cases: [SwitchboardError, string, string][] = [
      [new SwitchboardError('x', { cause }), 'SwitchboardError', 'SWITCHBOARD_ERROR'],
      [new CircuitOpenError('auth', 1500), 'CircuitOpenError', 'CIRCUIT_OPEN'],
      [new TimeoutError('slow', { timeoutMs: 10 }), 'TimeoutError', 'TIMEOUT'],
      [new AbortError('stop', { cause }), 'AbortError', 'ABORTED'],
      [
        new RetryExhaustedError([new Error('a'), cause], 'retries'),
        'RetryExhaustedError',
        'RETRY_EXHAUSTED',
      ],
    ];
    for (const [error, name, code] of cases) {
      expect(error).toBeInstanceOf(SwitchboardError);
      expect(error).toBeInstanceOf(Error);
      expect(error.name).toBe(name);
      expect(error.code).toBe(code);
      expect(error.stack).toContain(name);
      expect(error.isClientError).toBe(false);
    }
    expect(cases[0]?.[0].cause).toBe(cause);
    expect(cases[4]?.[0].cause).toBe(cause);
    expect(new SwitchboardError('no cause')).not.toHaveProperty('cause');
  });

  it('carries context in messages and fields', () => {
    const open = new CircuitOpenError('auth', 1234.2);
    expect(open.message).toContain('"auth"');
    expect(open.message).toContain('1235 ms');
    expect(open.retryAfterMs).toBe(1234.2);
    expect(new CircuitOpenError('auth', Infinity).message).toContain('isolated');
    const exhausted = new RetryExhaustedError(
      [new Error('first'), new Error('second')],
      'deadline',
    );
    expect(exhausted.message).toBe('Gave up after 2 attempts (deadline): second');
    expect(exhausted.attempts).toHaveLength(2);
    expect(exhausted.reason).toBe('deadline');
  });
});

describe('guards', () => {
  it('isSwitchboardError checks a marker, not instanceof, and narrows by code', () => {
    const open: unknown = new CircuitOpenError('auth', 10);
    expect(isSwitchboardError(open)).toBe(true);
    expect(isSwitchboardError(open, 'CIRCUIT_OPEN')).toBe(true);
    expect(isSwitchboardError(open, 'TIMEOUT')).toBe(false);
    if (isSwitchboardError(open, 'CIRCUIT_OPEN')) expect(open.retryAfterMs).toBe(10);
    // An error from another copy of the package: same marker symbol, other class.
    const foreign = Object.assign(new Error('x'), { code: 'TIMEOUT' });
    Object.defineProperty(foreign, Symbol.for('switchboard.error'), { value: true });
    expect(isSwitchboardError(foreign, 'TIMEOUT')).toBe(true);
    for (const value of [
      new Error('plain'),
      { code: 'TIMEOUT' },
      null,
      undefined,
      'CIRCUIT_OPEN',
      42,
    ]) {
      expect(isSwitchboardError(value)).toBe(false);
    }
  });

  it('isClientError accepts any error marked isClientError: true', () => {
    expect(isClientError(Object.assign(new Error('bad request'), { isClientError: true }))).toBe(
      true,
    );
    expect(isClientError(new Error('server'))).toBe(false);
    expect(isClientError(new TimeoutError('t'))).toBe(false);
    expect(isClientError(null)).toBe(false);
  });

  it('isAbortError knows ours and the platform abort', () => {
    const controller = new AbortController();
    controller.abort();
    expect(isAbortError(controller.signal.reason)).toBe(true);
    expect(isAbortError(new AbortError('x'))).toBe(true);
    expect(isAbortError(new TimeoutError('x'))).toBe(false);
    expect(isAbortError(new Error('x'))).toBe(false);
  });
});

describe('abortErrorFrom', () => {
  it('wraps a plain reason in AbortError with the reason as cause', () => {
    const controller = new AbortController();
    const reason = new Error('user left');
    controller.abort(reason);
    const error = abortErrorFrom(controller.signal);
    expect(error).toBeInstanceOf(AbortError);
    expect(error.cause).toBe(reason);
  });

  it('keeps a SwitchboardError reason as it is', () => {
    const controller = new AbortController();
    const reason = new TimeoutError('deadline');
    controller.abort(reason);
    expect(abortErrorFrom(controller.signal)).toBe(reason);
  });

  it("turns AbortSignal.timeout()'s reason into a TimeoutError", async () => {
    const signal = AbortSignal.timeout(1);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const error = abortErrorFrom(signal);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error.cause).toBe(signal.reason);
  });

  it('wraps a non-Error reason too', () => {
    const controller = new AbortController();
    controller.abort('because');
    const error = abortErrorFrom(controller.signal);
    expect(error.code).toBe('ABORTED');
    expect(error.cause).toBe('because');
  });
});

describe('HTTP and registry errors', () => {
  it('HttpError blames the caller for 4xx except 408, 425 and 429', () => {
    const make = (status: number): HttpError =>
      new HttpError({ status, method: 'GET', url: 'http://127.0.0.1:1/x', body: null });
    expect([301, 400, 401, 403, 404, 409, 422].map((s) => make(s).isClientError)).toEqual(
      Array(7).fill(true),
    );
    expect([408, 425, 429, 500, 502, 503].map((s) => make(s).isClientError)).toEqual(
      Array(6).fill(false),
    );
    const error = new HttpError({
      status: 503,
      method: 'POST',
      url: 'http://127.0.0.1:1/orders',
      body: { error: 'busy' },
      retryAfterMs: 2_000,
    });
    expect(error.message).toBe('POST http://127.0.0.1:1/orders answered 503');
    expect(error).toMatchObject({ code: 'HTTP_ERROR', status: 503, retryAfterMs: 2_000 });
    expect(isClientError(error)).toBe(false);
  });

  it('names the service and what is known in registry errors', () => {
    expect(new ServiceNotFoundError('billing', ['auth', 'product']).message).toBe(
      'No service "billing" is registered (known: auth, product)',
    );
    expect(new ServiceNotFoundError('billing', []).message).toContain('empty');
    const unavailable = new ServiceUnavailableError('auth', 'all 3 instances are unhealthy');
    expect(unavailable).toMatchObject({ code: 'SERVICE_UNAVAILABLE', service: 'auth' });
    expect(unavailable.message).toBe(
      'Service "auth" is unavailable: all 3 instances are unhealthy',
    );
  });

  it('lists schema issues with their paths', () => {
    const error = new ResponseValidationError('GET', 'http://127.0.0.1:1/users/1', [
      { message: 'Expected number', path: ['id'] },
      { message: 'Required', path: [] },
    ]);
    expect(error.message).toContain('id: Expected number; (root): Required');
    expect(error.issues).toHaveLength(2);
  });

  it('marks InvalidUrlError as a client error and keeps the reason of InvalidResponseError', () => {
    expect(new InvalidUrlError('bad').isClientError).toBe(true);
    const invalid = new InvalidResponseError('too-large', 'over 10 MiB');
    expect(invalid).toMatchObject({ code: 'INVALID_RESPONSE', reason: 'too-large' });
    expect(new NetworkError('reset').code).toBe('NETWORK_ERROR');
  });
});
