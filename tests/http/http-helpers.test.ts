import { describe, expect, it } from 'vitest';
import {
  correlationFromHeaders,
  incomingCorrelation,
  isSwitchboardError,
  RetryBudget,
} from 'switchboard';
import { resolveUrl } from '../../src/http/request-url.js';
import { responseFromFetch } from '../../src/http/fetch-response.js';
import { readBody } from '../../src/http/response-body.js';
import { parseRetryAfter } from '../../src/http/retry-after.js';
import { isRetryableFailure } from '../../src/http/retryable.js';
import { TtlCache } from '../../src/internal/ttl-cache.js';
import { HttpError, NetworkError, TimeoutError, ResponseValidationError } from 'switchboard';

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-11-25T10:00:00Z');
  it('reads delay-seconds and HTTP dates', () => {
    expect(parseRetryAfter('0', now)).toBe(0);
    expect(parseRetryAfter(' 120 ', now)).toBe(120_000);
    expect(parseRetryAfter('Wed, 25 Nov 2026 10:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 25 Nov 2026 09:00:00 GMT', now)).toBe(0);
  });
  it.each([[null], [undefined], [''], ['-1'], ['1.5'], ['soon'], ['12abc']])(
    'ignores %j',
    (value) => {
      expect(parseRetryAfter(value, now)).toBeUndefined();
    },
  );
});

describe('RetryBudget', () => {
  it('allows the floor, then a ratio of recent requests, and forgets old traffic', () => {
    const budget = new RetryBudget({ ratio: 0.5, minPerSecond: 0.1, windowMs: 10_000 });
    // Floor: 0.1/s × 10 s = 1 retry.
    expect(budget.canRetry(0)).toBe(true);
    budget.recordRetry(0);
    expect(budget.canRetry(0)).toBe(false);
    for (let i = 0; i < 10; i++) budget.recordRequest(0);
    // 50% of 10 requests = 5 retries in the window, 1 used.
    for (let i = 0; i < 4; i++) {
      expect(budget.canRetry(0)).toBe(true);
      budget.recordRetry(0);
    }
    expect(budget.canRetry(0)).toBe(false);
    // Ten seconds later the window has slid past all of it.
    expect(budget.canRetry(10_500)).toBe(true);
  });

  it('validates its options', () => {
    expect(() => new RetryBudget({ ratio: 2 })).toThrow(/budget\.ratio/);
    expect(() => new RetryBudget({ windowMs: 5 })).toThrow(/budget\.windowMs/);
  });
});

describe('resolveUrl', () => {
  it('joins paths under the base URL, with or without leading slash', () => {
    expect(resolveUrl('http://127.0.0.1:1/api/v1', '/users/1?x=1').href).toBe(
      'http://127.0.0.1:1/api/v1/users/1?x=1',
    );
    expect(resolveUrl('http://127.0.0.1:1', 'health').href).toBe('http://127.0.0.1:1/health');
  });
  it.each([
    'http://evil.test/x',
    'HTTPS://evil.test',
    '//evil.test/x',
    'javascript:alert(1)',
    '/../x',
    '/a/../../x',
  ])('refuses %s', (path) => {
    let error: unknown;
    try {
      resolveUrl('http://127.0.0.1:1/api/v1', path);
    } catch (caught) {
      error = caught;
    }
    expect(isSwitchboardError(error, 'INVALID_URL')).toBe(true);
  });
});

describe('correlationFromHeaders', () => {
  it('reads correlation id, traceparent and the remaining budget', () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    expect(
      correlationFromHeaders(
        { 'x-correlation-id': 'abc', traceparent, 'x-request-timeout-ms': '1500' },
        1_000,
      ),
    ).toEqual({ correlationId: 'abc', traceparent, deadlineAt: 2_500 });
    const fetchHeaders = new Headers({ 'X-Correlation-Id': 'from-fetch' });
    expect(correlationFromHeaders(fetchHeaders)).toEqual({ correlationId: 'from-fetch' });
  });
  it('drops invalid values instead of trusting them', () => {
    expect(
      correlationFromHeaders({
        'x-correlation-id': 'has spaces\nand newline',
        traceparent: 'garbage',
        'x-request-timeout-ms': '-5',
      }),
    ).toEqual({});
    expect(correlationFromHeaders({ 'x-correlation-id': 'x'.repeat(129) })).toEqual({});
  });
});

describe('incomingCorrelation', () => {
  it("keeps the caller's id and deadline, and mints an id when there is none", () => {
    expect(
      incomingCorrelation({ 'x-correlation-id': 'abc', 'x-request-timeout-ms': '10' }, 5),
    ).toEqual({ correlationId: 'abc', deadlineAt: 15 });
    const minted = incomingCorrelation(new Headers({ 'x-correlation-id': 'bad id' }));
    expect(minted.correlationId).toMatch(/^[0-9a-f-]{36}$/);
    expect(incomingCorrelation({}).correlationId).not.toBe(minted.correlationId);
  });
});

describe('readBody', () => {
  // Over a WHATWG Response, as the fetch transport and the contract checks read it.
  const read = (response: Response, options: Parameters<typeof readBody>[1]) =>
    readBody(responseFromFetch(response), options);
  const json = (text: string, headers: Record<string, string> = {}): Response =>
    new Response(text, { headers: { 'content-type': 'application/json', ...headers } });
  it('parses JSON (including +json types), returns text otherwise, undefined when empty', async () => {
    expect(await read(json('{"a":1}'), { maxBytes: 100 })).toEqual({
      data: { a: 1 },
      isJson: true,
    });
    expect(
      await read(
        new Response('{"b":2}', { headers: { 'content-type': 'application/problem+json' } }),
        {
          maxBytes: 100,
        },
      ),
    ).toEqual({ data: { b: 2 }, isJson: true });
    expect(await read(new Response('plain'), { maxBytes: 100 })).toEqual({
      data: 'plain',
      isJson: false,
    });
    expect(await read(new Response(null, { status: 204 }), { maxBytes: 100 })).toEqual({
      data: undefined,
      isJson: false,
    });
  });
  it('refuses bodies over the limit, whether declared or streamed, or cuts them for error bodies', async () => {
    await expect(
      read(json('{}', { 'content-length': '1000' }), { maxBytes: 10 }),
    ).rejects.toMatchObject({
      reason: 'too-large',
    });
    await expect(read(new Response('x'.repeat(50)), { maxBytes: 10 })).rejects.toMatchObject({
      reason: 'too-large',
    });
    expect(await read(new Response('x'.repeat(50)), { maxBytes: 10, truncate: true })).toEqual({
      data: 'x'.repeat(10),
      isJson: false,
    });
  });
  it('turns malformed JSON into InvalidResponseError, never a SyntaxError', async () => {
    await expect(read(json('{"a":'), { maxBytes: 100 })).rejects.toMatchObject({
      code: 'INVALID_RESPONSE',
      reason: 'malformed-json',
    });
  });
});

describe('isRetryableFailure', () => {
  const http = (status: number): HttpError =>
    new HttpError({ status, method: 'GET', url: 'u', body: null });
  it('retries transient failures only', () => {
    for (const status of [408, 425, 429, 500, 502, 503, 504])
      expect(isRetryableFailure(http(status))).toBe(true);
    for (const status of [400, 401, 403, 404, 409, 422, 501])
      expect(isRetryableFailure(http(status))).toBe(false);
    expect(isRetryableFailure(new NetworkError('reset'))).toBe(true);
    expect(isRetryableFailure(new TimeoutError('slow'))).toBe(true);
    expect(isRetryableFailure(new ResponseValidationError('GET', 'u', []))).toBe(false);
    expect(isRetryableFailure(new Error('unknown'))).toBe(false);
  });
});

describe('TtlCache', () => {
  it('expires entries and evicts the least recently used beyond its size', () => {
    const cache = new TtlCache<number>(1_000, 2);
    cache.set('a', 1, 0);
    cache.set('b', 2, 0);
    expect(cache.get('a', 10)).toBe(1); // a is now the most recent
    cache.set('c', 3, 10);
    expect(cache.get('b', 10)).toBeUndefined();
    expect(cache.get('a', 10)).toBe(1);
    expect(cache.get('c', 1_010)).toBeUndefined();
    expect(cache.size).toBe(1);
  });

  it('takes a TTL per entry and deletes on demand', () => {
    const cache = new TtlCache<string>(1_000, 10);
    cache.set('short', 's', 0, 10);
    cache.set('long', 'l', 0);
    expect(cache.get('short', 9)).toBe('s');
    expect(cache.get('short', 10)).toBeUndefined();
    expect(cache.get('long', 999)).toBe('l');
    cache.delete('long');
    expect(cache.get('long', 0)).toBeUndefined();
  });
});
