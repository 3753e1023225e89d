import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ServiceClient,
  ServiceRegistry,
  isSwitchboardError,
  type ServiceRegistryEvents,
} from 'switchboard';
import { createTestService, type TestService } from 'switchboard/testing';
import { closeServer } from '../support/close-server.js';
import { startFaultProxy } from '../support/fault-proxy.js';
import { waitFor } from '../support/wait-for.js';

// What the HTTP client promises when services misbehave, proven at the
// server: attempts per logical call, deadlines, sockets closed on abort,
// half-open probes under a stampede, black-holed instances, and what does
// (not) count against a breaker.

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function service(name: string): Promise<TestService> {
  const created = await createTestService(name);
  closers.push(() => created.close());
  return created;
}

function registry(options: ConstructorParameters<typeof ServiceRegistry>[0] = {}): ServiceRegistry {
  const created = new ServiceRegistry({ health: false, ...options });
  closers.push(() => created.close());
  return created;
}

function client(name: string, options: ConstructorParameters<typeof ServiceClient>[1]) {
  const created = new ServiceClient(name, options);
  closers.push(() => created.close());
  return created;
}

async function settle(promise: Promise<unknown>): Promise<unknown> {
  try {
    return await promise;
  } catch (error) {
    return error;
  }
}

/** Requests per logical call: every attempt of one call carries the same correlation id. */
function attemptsPerCall(api: TestService): number[] {
  const counts = new Map<string, number>();
  for (const request of api.requests) {
    const id = String(request.headers['x-correlation-id']);
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return [...counts.values()];
}

describe('retry amplification', () => {
  it.each([
    ['503', { status: 503 }],
    ['429 with Retry-After: 0', { status: 429, headers: { 'retry-after': '0' } }],
    ['a reset connection', 'reset'],
    ['a hung request (attempt timeout)', 'hang'],
  ] as const)(
    'one call sends retries + 1 requests on %s, never more, over either transport',
    async (_name, behaviour) => {
      for (const [retries, transport] of [
        [0, {}],
        [1, {}],
        [3, {}],
        [3, { fetch: (...args: Parameters<typeof fetch>) => fetch(...args) }],
      ] as const) {
        const api = await service('api');
        api.route('GET', '/x', behaviour);
        // A breaker that stays closed: every call gets its full retries.
        const registered = registry({ breaker: { failureThreshold: 1_000 } });
        api.registerIn(registered);
        const hangs = behaviour === 'hang';
        const calls = client('api', {
          registry: registered,
          // Only a hung request should time out: on a loaded machine a short
          // limit can also cut an attempt before the server has seen it.
          timeoutMs: hangs ? 300 : 5_000,
          budget: false,
          retry: { retries, baseDelayMs: 1, maxDelayMs: 5 },
          ...transport,
        });
        const results = await Promise.all(Array.from({ length: 5 }, () => settle(calls.get('/x'))));
        expect(results.every((error) => isSwitchboardError(error))).toBe(true);
        const attempts = attemptsPerCall(api);
        if (hangs) {
          // An attempt cut by its limit before reaching the server is not
          // counted there: never more, and the retries did happen.
          expect(Math.max(...attempts)).toBe(retries + 1);
          expect(attempts.every((count) => count <= retries + 1)).toBe(true);
        } else {
          expect(attempts).toEqual(Array.from({ length: 5 }, () => retries + 1));
        }
      }
    },
    30_000,
  );

  it('never retries a POST without an idempotency key; with one, every attempt carries it', async () => {
    const api = await service('api');
    api.route('POST', '/orders', { status: 503 });
    const registered = registry();
    api.registerIn(registered);
    const calls = client('api', {
      registry: registered,
      budget: false,
      retry: { retries: 3, baseDelayMs: 1, maxDelayMs: 5 },
    });
    await settle(calls.post('/orders', { json: { n: 1 } }));
    expect(api.requests).toHaveLength(1);
    await settle(calls.post('/orders', { json: { n: 2 }, idempotencyKey: 'order-2' }));
    const keyed = api.requests.slice(1);
    expect(keyed).toHaveLength(4);
    expect(new Set(keyed.map((request) => request.headers['idempotency-key']))).toEqual(
      new Set(['order-2']),
    );
  });
});

describe('deadlines', () => {
  it('a call never outlives its deadline by more than 50 ms, whatever the service does', async () => {
    const api = await service('api');
    api
      .route('GET', '/hang', 'hang')
      .route('GET', '/slow-503', { status: 503, delayMs: 60 })
      .route('GET', '/retry-later', { status: 503, headers: { 'retry-after': '1' } });
    const registered = registry();
    api.registerIn(registered);
    const calls = client('api', {
      registry: registered,
      timeoutMs: 5_000,
      budget: false,
      retry: { retries: 10, baseDelayMs: 20, maxDelayMs: 40, maxRetryAfterMs: 10_000 },
    });
    const overshoots: number[] = [];
    for (const path of ['/hang', '/slow-503', '/retry-later']) {
      for (const deadlineMs of [120, 250, 400]) {
        const started = performance.now();
        const error = await settle(calls.get(path, { deadlineMs }));
        overshoots.push(performance.now() - started - deadlineMs);
        expect(isSwitchboardError(error)).toBe(true);
      }
    }
    expect(Math.max(...overshoots)).toBeLessThanOrEqual(50);
  });
});

describe('aborts reach the socket', () => {
  /** A server that never answers and records when each request's socket closes. */
  async function hangingServer(): Promise<{ origin: string; closed: () => number }> {
    let closed = 0;
    const server: Server = createServer((request) => {
      request.socket.once('close', () => {
        closed += 1;
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(() => closeServer(server));
    const { port } = server.address() as AddressInfo;
    return { origin: `http://127.0.0.1:${port}`, closed: () => closed };
  }

  it.each([
    ['its own pool', {}],
    ['a fetch of the caller', { fetch: (...args: Parameters<typeof fetch>) => fetch(...args) }],
  ] as const)(
    'over %s, a timed-out or aborted call closes its connection: the server sees it go',
    async (_name, transport) => {
      const { origin, closed } = await hangingServer();
      const calls = client('api', {
        registry: ServiceRegistry.fromConfig({ api: origin }, { health: false }),
        timeoutMs: 100,
        retry: false,
        ...transport,
      });
      expect(isSwitchboardError(await settle(calls.get('/x')), 'TIMEOUT')).toBe(true);
      await waitFor('the timed-out request closed at the server', 2_000, () => closed() === 1);
      const controller = new AbortController();
      const pending = settle(calls.get('/x', { signal: controller.signal, timeoutMs: 5_000 }));
      setTimeout(() => {
        controller.abort();
      }, 30);
      expect(isSwitchboardError(await pending, 'ABORTED')).toBe(true);
      await waitFor('the aborted request closed at the server', 2_000, () => closed() === 2);
    },
  );
});

describe('half-open under a stampede', () => {
  it('lets exactly halfOpenMaxCalls of 1,000 racing calls through, and a hung probe times out instead of sticking', async () => {
    const api = await service('api');
    api.route('GET', '/x', { status: 503 });
    const registered = registry({
      breaker: { failureThreshold: 1, resetTimeoutMs: 200, halfOpenMaxCalls: 2 },
    });
    const instance = api.registerIn(registered);
    // Long enough that a probe always reaches the service on a loaded machine.
    const calls = client('api', { registry: registered, timeoutMs: 1_500, retry: false });
    await settle(calls.get('/x'));
    expect(instance.breaker.state).toBe('open');

    // Probes hang: the 1,000 callers race the moment the breaker half-opens.
    api.route('GET', '/x', 'hang');
    await new Promise((resolve) => setTimeout(resolve, 250));
    const before = api.requests.length;
    const results = await Promise.all(Array.from({ length: 1_000 }, () => settle(calls.get('/x'))));
    expect(api.requests.length - before).toBe(2);
    const codes = results.map((error) => (isSwitchboardError(error) ? error.code : 'none'));
    expect(codes.filter((code) => code === 'TIMEOUT')).toHaveLength(2);
    expect(codes.filter((code) => code === 'CIRCUIT_OPEN')).toHaveLength(998);
    // The probes' timeouts re-opened it: not stuck half-open.
    expect(instance.breaker.state).toBe('open');

    api.route('GET', '/x', { json: { ok: true } });
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(await calls.get('/x')).toEqual({ ok: true });
    expect(await calls.get('/x')).toEqual({ ok: true });
    expect(instance.breaker.state).toBe('closed');
  }, 30_000);
});

describe('a black-holed instance', () => {
  it('is marked unhealthy by its checks within timeout × threshold, and calls go to the other', async () => {
    const [a, b] = [await service('api'), await service('api')] as const;
    for (const api of [a, b]) api.route('GET', '/x', { json: { ok: true } });
    const proxy = await startFaultProxy({ host: '127.0.0.1', port: a.port });
    closers.push(() => proxy.close());
    const health = { intervalMs: 100, timeoutMs: 200, unhealthyThreshold: 2, healthyThreshold: 1 };
    const registered = registry({ health });
    registered.register({
      name: 'api',
      baseUrl: `http://127.0.0.1:${proxy.port}`,
      healthPath: '/health',
    });
    b.registerIn(registered);
    const changes: ServiceRegistryEvents['health-changed'][] = [];
    registered.on('health-changed', (change) => changes.push(change));
    const calls = client('api', { registry: registered, timeoutMs: 500, budget: false });
    expect(await calls.get('/x')).toEqual({ ok: true });

    await proxy.set({ kind: 'black-hole' });
    const cut = performance.now();
    // Calls go on meanwhile: an attempt stuck on A times out and is retried on B.
    const during = await Promise.all(Array.from({ length: 20 }, () => settle(calls.get('/x'))));
    expect(during).toEqual(Array.from({ length: 20 }, () => ({ ok: true })));
    await waitFor('A marked unhealthy', 5_000, () =>
      changes.some(
        (change) =>
          change.to === 'unhealthy' && change.instance.baseUrl.includes(String(proxy.port)),
      ),
    );
    // Detected within the checks' own bound: a round's interval, then
    // `unhealthyThreshold` timed-out checks (plus scheduling slack).
    const bound =
      health.intervalMs + health.unhealthyThreshold * (health.intervalMs + health.timeoutMs);
    expect(performance.now() - cut).toBeLessThan(bound + 500);

    // Every request the client's transport (undici) creates, seen on its own
    // diagnostics channel: a call sent to A shows here, whatever the timing.
    // (Counting A's connections also counts the health checks, which go on
    // probing A as often as the machine lets them.)
    const callsToA: string[] = [];
    const onRequest = (message: unknown): void => {
      const { request } = message as { request: { origin: unknown; path: string } };
      if (String(request.origin).endsWith(`:${proxy.port}`) && request.path === '/x') {
        callsToA.push(request.path);
      }
    };
    const onB = b.requestsTo('GET', '/x').length;
    subscribe('undici:request:create', onRequest);
    try {
      for (let i = 0; i < 20; i++) expect(await calls.get('/x')).toEqual({ ok: true });
    } finally {
      unsubscribe('undici:request:create', onRequest);
    }
    expect(b.requestsTo('GET', '/x').length - onB).toBe(20);
    expect(callsToA).toEqual([]);
  }, 30_000);
});

describe('what counts against a breaker', () => {
  it('4xx answers (but 408 and 429) and aborts by the caller never open it', async () => {
    const api = await service('api');
    for (const status of [400, 401, 403, 404, 409, 422]) {
      api.route('GET', `/s${status}`, { status, json: { error: status } });
    }
    api.route('GET', '/hang', 'hang').route('GET', '/s429', { status: 429 });
    const registered = registry({ breaker: { failureThreshold: 3, resetTimeoutMs: 60_000 } });
    const instance = api.registerIn(registered);
    const calls = client('api', { registry: registered, retry: false });
    for (let round = 0; round < 10; round++) {
      for (const status of [400, 401, 403, 404, 409, 422]) {
        expect(await settle(calls.get(`/s${status}`))).toMatchObject({ status });
      }
      const controller = new AbortController();
      const aborted = settle(calls.get('/hang', { signal: controller.signal }));
      setTimeout(() => {
        controller.abort();
      }, 5);
      expect(isSwitchboardError(await aborted, 'ABORTED')).toBe(true);
    }
    expect(instance.breaker.state).toBe('closed');
    expect(api.requests).toHaveLength(70);

    // 429 is the service asking to back off: it counts.
    for (let i = 0; i < 3; i++) await settle(calls.get('/s429'));
    expect(instance.breaker.state).toBe('open');
  }, 30_000);
});
