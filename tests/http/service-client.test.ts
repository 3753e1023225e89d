import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ServiceClient,
  isSwitchboardError,
  parseTraceparent,
  withCorrelation,
  type RetryExhaustedError,
} from 'switchboard';
import { failureOf, registryWith, testService } from './helpers.js';

const User = z.object({ id: z.number(), email: z.string() });

describe('ServiceClient: a call', () => {
  it('resolves an instance, sends the request and validates the typed response', async () => {
    const auth = await testService('auth');
    auth.route('GET', '/users/:id', (request) => ({
      json: { id: Number(request.params['id']), email: 'a@example.test', extra: true },
    }));
    const client = new ServiceClient('auth', { registry: registryWith([auth]) });
    const user = await client.get('/users/42', { schema: User, searchParams: { full: true } });
    expect(user).toEqual({ id: 42, email: 'a@example.test' });
    const [request] = auth.requestsTo('GET', '/users/:id');
    expect(request?.url).toBe('/users/42?full=true');
    expect(request?.headers['user-agent']).toMatch(/^switchboard\//);
  });

  it('sends JSON bodies and returns the parsed body without a schema', async () => {
    const product = await testService('product');
    product.route('POST', '/products', (request) => ({
      status: 201,
      json: { received: JSON.parse(request.body) as unknown },
    }));
    const client = new ServiceClient('product', { registry: registryWith([product]) });
    expect(await client.post('/products', { json: { name: 'Pen' } })).toEqual({
      received: { name: 'Pen' },
    });
    expect(product.requests[0]?.headers['content-type']).toContain('application/json');
  });

  it('carries the correlation id and a child traceparent from the context', async () => {
    const auth = await testService('auth');
    auth.route('GET', '/ping', { json: {} });
    const client = new ServiceClient('auth', { registry: registryWith([auth]) });
    const parent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    await withCorrelation({ correlationId: 'order-17', traceparent: parent }, () =>
      client.get('/ping'),
    );
    const headers = auth.requests[0]?.headers ?? {};
    expect(headers['x-correlation-id']).toBe('order-17');
    const trace = parseTraceparent(headers['traceparent'] as string);
    expect(trace?.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(trace?.parentId).not.toBe('00f067aa0ba902b7');
    // Without a context, a new correlation id and trace are created.
    await client.get('/ping');
    expect(auth.requests[1]?.headers['x-correlation-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(parseTraceparent(auth.requests[1]?.headers['traceparent'] as string)).toBeDefined();
  });

  it('forwards the token to the registered instance only', async () => {
    const auth = await testService('auth');
    auth.route('GET', '/me', { json: {} });
    const client = new ServiceClient('auth', { registry: registryWith([auth]) });
    await client.get('/me', { token: 'secret-token' });
    expect(auth.requests[0]?.headers['authorization']).toBe('Bearer secret-token');
    for (const path of ['http://127.0.0.1:1/steal', '//evil.test/x', 'HTTPS://evil.test/x']) {
      const error = await failureOf(client.get(path, { token: 'secret-token' }));
      expect(isSwitchboardError(error, 'INVALID_URL')).toBe(true);
      expect(String(error)).not.toContain('secret-token');
    }
    expect(auth.requests).toHaveLength(1);
  });

  it('throws HttpError with status, body and a URL without its query', async () => {
    const auth = await testService('auth');
    auth.route('GET', '/users/:id', { status: 404, json: { error: 'no such user' } });
    const client = new ServiceClient('auth', { registry: registryWith([auth]) });
    const error = await failureOf(client.get('/users/9', { searchParams: { apiKey: 'k' } }));
    expect(isSwitchboardError(error, 'HTTP_ERROR')).toBe(true);
    expect(error).toMatchObject({
      status: 404,
      method: 'GET',
      body: { error: 'no such user' },
      isClientError: true,
      url: `${auth.url}/users/9`,
    });
    expect(auth.requests).toHaveLength(1); // a 404 is not retried
  });

  it('turns a schema mismatch into ResponseValidationError listing the issues', async () => {
    const auth = await testService('auth');
    auth.route('GET', '/users/:id', { json: { id: 'not-a-number' } });
    const client = new ServiceClient('auth', { registry: registryWith([auth]) });
    const error = await failureOf(client.get('/users/1', { schema: User }));
    expect(isSwitchboardError(error, 'RESPONSE_VALIDATION')).toBe(true);
    const paths = (error as { issues: { path: unknown[] }[] }).issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(['id', 'email']);
  });

  it('refuses malformed JSON, non-JSON for a schema, and oversized bodies with typed errors', async () => {
    const api = await testService('api');
    api
      .route('GET', '/bad-json', { text: '{"a":', headers: { 'content-type': 'application/json' } })
      .route('GET', '/html', { text: '<html></html>', headers: { 'content-type': 'text/html' } })
      .route('GET', '/big', { text: 'x'.repeat(2_000) });
    const client = new ServiceClient('api', {
      registry: registryWith([api]),
      maxResponseBytes: 1_000,
    });
    expect(await failureOf(client.get('/bad-json'))).toMatchObject({ reason: 'malformed-json' });
    expect(await failureOf(client.get('/html', { schema: User }))).toMatchObject({
      reason: 'not-json',
    });
    expect(await failureOf(client.get('/big'))).toMatchObject({ reason: 'too-large' });
    expect(await client.get('/html')).toBe('<html></html>');
  });
});

describe('ServiceClient: retries', () => {
  it('retries a GET on 503 honouring Retry-After, on another instance when there is one', async () => {
    const a = await testService('auth');
    const b = await testService('auth');
    a.route('GET', '/users/:id', { status: 503, headers: { 'retry-after': '0' } });
    b.route(
      'GET',
      '/users/:id',
      { status: 503, headers: { 'retry-after': '0' } },
      { json: { id: 1, email: 'e' } },
    );
    const client = new ServiceClient('auth', {
      registry: registryWith([a, b]),
      retry: { retries: 3, baseDelayMs: 1 },
    });
    const retries: number[] = [];
    client.on('retry', ({ attempt }) => retries.push(attempt));
    expect(await client.get('/users/1', { schema: User })).toEqual({ id: 1, email: 'e' });
    const total = a.requests.length + b.requests.length;
    expect(total).toBe(retries.length + 1);
    // Consecutive attempts went to different instances.
    expect(a.requests.length).toBeGreaterThanOrEqual(1);
    expect(b.requests.length).toBeGreaterThanOrEqual(1);
  });

  it('waits for Retry-After seconds before retrying', async () => {
    const api = await testService('api');
    api.route(
      'GET',
      '/slow-down',
      { status: 429, headers: { 'retry-after': '1' } },
      { json: 'ok' },
    );
    const client = new ServiceClient('api', { registry: registryWith([api]) });
    expect(await client.get('/slow-down')).toBe('ok');
    const [first, second] = api.requests;
    expect((second?.receivedAt ?? 0) - (first?.receivedAt ?? 0)).toBeGreaterThanOrEqual(950);
  });

  it('fails at once with the server error when Retry-After does not fit the deadline', async () => {
    const api = await testService('api');
    api.route('GET', '/later', { status: 503, headers: { 'retry-after': '30' } });
    const client = new ServiceClient('api', { registry: registryWith([api]), deadlineMs: 2_000 });
    const started = Date.now();
    const error = await failureOf(client.get('/later'));
    expect(Date.now() - started).toBeLessThan(500);
    expect(error).toMatchObject({ code: 'HTTP_ERROR', status: 503, retryAfterMs: 30_000 });
    expect(api.requests).toHaveLength(1);
  });

  it('never retries a POST without an idempotency key', async () => {
    const api = await testService('api');
    api.route('POST', '/orders', { status: 503 });
    const client = new ServiceClient('api', { registry: registryWith([api]) });
    expect(await failureOf(client.post('/orders', { json: {} }))).toMatchObject({ status: 503 });
    expect(api.requests).toHaveLength(1);
  });

  it('retries a POST with an idempotency key, sending the same key every time', async () => {
    const api = await testService('api');
    api.route(
      'POST',
      '/orders',
      { status: 502 },
      { status: 502 },
      { status: 201, json: { id: 7 } },
    );
    const client = new ServiceClient('api', {
      registry: registryWith([api]),
      retry: { retries: 3, baseDelayMs: 1 },
    });
    expect(await client.post('/orders', { json: {}, idempotencyKey: true })).toEqual({ id: 7 });
    const keys = api.requests.map((request) => request.headers['idempotency-key']);
    expect(keys).toHaveLength(3);
    expect(new Set(keys).size).toBe(1);
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('gives up after the configured retries with every attempt in RetryExhaustedError', async () => {
    const api = await testService('api');
    api.route('GET', '/down', { status: 500 });
    const client = new ServiceClient('api', {
      registry: registryWith([api]),
      retry: { retries: 2, baseDelayMs: 1 },
    });
    const error = await failureOf(client.get('/down'));
    expect(isSwitchboardError(error, 'RETRY_EXHAUSTED')).toBe(true);
    expect((error as RetryExhaustedError).attempts).toHaveLength(3);
    expect(api.requests).toHaveLength(3);
  });

  it('retries network errors: a reset connection becomes a NetworkError, then succeeds', async () => {
    const api = await testService('api');
    api.route('GET', '/flaky', 'reset', { json: 'ok' });
    const client = new ServiceClient('api', {
      registry: registryWith([api]),
      retry: { retries: 1, baseDelayMs: 1 },
    });
    const errors: unknown[] = [];
    client.on('retry', ({ error }) => errors.push(error));
    expect(await client.get('/flaky')).toBe('ok');
    expect(isSwitchboardError(errors[0], 'NETWORK_ERROR')).toBe(true);
  });

  it('stops retrying when the retry budget is spent', async () => {
    const api = await testService('api');
    api.route('GET', '/down', { status: 503 });
    const client = new ServiceClient('api', {
      registry: registryWith([api]),
      retry: { retries: 5, baseDelayMs: 1 },
      budget: { ratio: 0.1, minPerSecond: 0.2, windowMs: 10_000 },
    });
    // The floor allows 2 retries in the window; then only the first attempts go out.
    await failureOf(client.get('/down'));
    expect(api.requests).toHaveLength(3);
    await failureOf(client.get('/down'));
    expect(api.requests).toHaveLength(4);
  });
});

describe('ServiceClient: time limits', () => {
  it('times out each attempt and respects the total deadline', async () => {
    const api = await testService('api');
    api.route('GET', '/hang', 'hang');
    const client = new ServiceClient('api', {
      registry: registryWith([api]),
      timeoutMs: 100,
      deadlineMs: 350,
      retry: { retries: 10, baseDelayMs: 1 },
    });
    const started = Date.now();
    // A timer due with the deadline tells how late the event loop itself runs
    // (parallel test files load the machine); the client gets 50 ms beyond that.
    let deadlineTimerAt = Infinity;
    const probe = setTimeout(() => {
      deadlineTimerAt = Date.now();
    }, 350);
    const error = await failureOf(client.get('/hang'));
    const settledAt = Date.now();
    clearTimeout(probe);
    expect(settledAt - started).toBeGreaterThanOrEqual(300);
    expect(settledAt - Math.min(deadlineTimerAt, settledAt)).toBeLessThanOrEqual(50);
    expect(settledAt - started).toBeLessThan(
      350 + 50 + Math.max(0, deadlineTimerAt - started - 350),
    );
    expect(api.requests.length).toBeGreaterThanOrEqual(3);
    const last = isSwitchboardError(error, 'RETRY_EXHAUSTED') ? error.cause : error;
    expect(isSwitchboardError(last, 'TIMEOUT')).toBe(true);
  });

  it('sends the remaining budget downstream and inherits it from the context', async () => {
    const api = await testService('api');
    api.route('GET', '/budget', { json: {} });
    const client = new ServiceClient('api', { registry: registryWith([api]), deadlineMs: 5_000 });
    await client.get('/budget');
    const sent = Number(api.requests[0]?.headers['x-request-timeout-ms']);
    expect(sent).toBeGreaterThan(4_000);
    expect(sent).toBeLessThanOrEqual(5_000);
    await withCorrelation({ deadlineAt: Date.now() + 800 }, () => client.get('/budget'));
    expect(Number(api.requests[1]?.headers['x-request-timeout-ms'])).toBeLessThanOrEqual(800);
    const spent = await failureOf(
      withCorrelation({ deadlineAt: Date.now() - 1 }, () => client.get('/budget')),
    );
    expect(isSwitchboardError(spent, 'TIMEOUT')).toBe(true);
    expect(api.requests).toHaveLength(2); // the spent call was never sent
  });

  it('aborts mid-request with AbortError and leaves no timer behind', async () => {
    const api = await testService('api');
    api.route('GET', '/hang', 'hang');
    const client = new ServiceClient('api', { registry: registryWith([api]) });
    const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const controller = new AbortController();
    const pending = failureOf(client.get('/hang', { signal: controller.signal }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    controller.abort(new Error('user left'));
    const error = await pending;
    expect(isSwitchboardError(error, 'ABORTED')).toBe(true);
    expect((error as Error).cause).toEqual(new Error('user left'));
    // At most as many as before: a timer of the worker's own may end meanwhile
    // (it went red once in CI, 0 against 1), but none of the call's is left.
    expect(
      process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length,
    ).toBeLessThanOrEqual(before);
  });
});

describe('ServiceClient: the breaker', () => {
  it('opens after 5 failures, then fails fast without reaching the server', async () => {
    const api = await testService('api');
    api.route('GET', '/down', { status: 500 });
    const client = new ServiceClient('api', { registry: registryWith([api]), retry: false });
    for (let i = 0; i < 5; i++) await failureOf(client.get('/down'));
    expect(api.requests).toHaveLength(5);
    const started = process.hrtime.bigint();
    const error = await failureOf(client.get('/down'));
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(20);
    expect(isSwitchboardError(error, 'CIRCUIT_OPEN')).toBe(true);
    expect(api.requests).toHaveLength(5);
  });

  it('does not count 4xx answers against the breaker', async () => {
    const api = await testService('api');
    api.route('GET', '/missing', { status: 404 });
    const client = new ServiceClient('api', { registry: registryWith([api]), retry: false });
    for (let i = 0; i < 8; i++) await failureOf(client.get('/missing'));
    expect(api.requests).toHaveLength(8);
  });

  it('lets one half-open probe through after the reset timeout, and closes on success', async () => {
    const api = await testService('api');
    api.route('GET', '/x', { status: 500 }, { status: 500 }, { json: 'back' });
    const registry = registryWith([api], { breaker: { failureThreshold: 2, resetTimeoutMs: 100 } });
    const client = new ServiceClient('api', { registry, retry: false });
    await failureOf(client.get('/x'));
    await failureOf(client.get('/x'));
    expect(isSwitchboardError(await failureOf(client.get('/x')), 'CIRCUIT_OPEN')).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(await client.get('/x')).toBe('back');
    expect(api.requests).toHaveLength(3);
  });
});

describe('ServiceClient: several instances', () => {
  it('round-robins over three instances', async () => {
    const services = await Promise.all([
      testService('api'),
      testService('api'),
      testService('api'),
    ]);
    for (const service of services) service.route('GET', '/who', { json: service.port });
    const client = new ServiceClient('api', { registry: registryWith(services) });
    const answers = [];
    for (let i = 0; i < 6; i++) answers.push(await client.get('/who'));
    const ports = services.map((service) => service.port);
    expect(answers).toEqual([...ports, ...ports]);
  });

  it('fails over when an instance dies, and marks it suspect', async () => {
    const alive = await testService('api');
    const dying = await testService('api');
    alive.route('GET', '/x', { json: 'alive' });
    const registry = registryWith([dying, alive]);
    await dying.close();
    const client = new ServiceClient('api', { registry, retry: { retries: 1, baseDelayMs: 1 } });
    // The first pick is the dead instance: connection refused, then the retry goes to the live one.
    expect(await client.get('/x')).toBe('alive');
    const dead = registry.instances('api').find((instance) => instance.baseUrl === dying.url);
    expect(dead?.status).toBe('suspect');
    // From now on the healthy instance is preferred.
    for (let i = 0; i < 4; i++) expect(await client.get('/x')).toBe('alive');
    expect(alive.requests).toHaveLength(5);
  });
});

describe('ServiceClient: secrets', () => {
  it('keeps tokens and query strings out of errors, events and logs', async () => {
    const api = await testService('api');
    api.route('GET', '/down', { status: 500, json: { error: 'boom' } });
    const lines: unknown[] = [];
    const log = (context: Record<string, unknown>, message?: string): void => {
      lines.push([context, message]);
    };
    const client = new ServiceClient('api', {
      registry: registryWith([api]),
      retry: { retries: 1, baseDelayMs: 1 },
      logger: { debug: log, info: log, warn: log, error: log },
    });
    const events: unknown[] = [];
    for (const name of ['request', 'response', 'retry', 'error'] as const) {
      client.on(name, (payload) => events.push(payload));
    }
    const error = await failureOf(
      client.get('/down?apiKey=query-secret', { token: 'token-secret' }),
    );
    const seen = JSON.stringify([lines, events, String(error), (error as Error).stack]);
    expect(events.length).toBeGreaterThan(3);
    expect(lines.length).toBeGreaterThan(0);
    expect(seen).not.toContain('token-secret');
    expect(seen).not.toContain('query-secret');
    await client.close();
  });
});

describe('ServiceClient: tracing', () => {
  it('sends each attempt as its own span of one trace', async () => {
    const api = await testService('api');
    api.route('GET', '/flaky', { status: 503 }, { json: 'ok' });
    const client = new ServiceClient('api', {
      registry: registryWith([api]),
      retry: { retries: 1, baseDelayMs: 1 },
    });
    await client.get('/flaky');
    const [first, second] = api.requests.map((request) =>
      parseTraceparent(request.headers['traceparent'] as string),
    );
    expect(first?.traceId).toBeDefined();
    expect(second?.traceId).toBe(first?.traceId);
    expect(second?.parentId).not.toBe(first?.parentId);
    await client.close();
  });
});
