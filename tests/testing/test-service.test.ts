import { afterEach, describe, expect, it } from 'vitest';
import { createTestRegistry, createTestService, type TestService } from 'switchboard/testing';

let services: TestService[] = [];
async function service(name?: string): Promise<TestService> {
  const created = await createTestService(name);
  services.push(created);
  return created;
}

afterEach(async () => {
  await Promise.all(services.map((s) => s.close()));
  services = [];
});

describe('createTestService', () => {
  it('listens on loopback, answers /health, and 404s unknown routes', async () => {
    const api = await service('api');
    expect(api.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const health = await fetch(`${api.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    expect((await fetch(`${api.url}/nope`)).status).toBe(404);
  });

  it('plays a script per route, repeating the last step, and records requests with params', async () => {
    const api = await service();
    api.route(
      'GET',
      '/users/:id',
      { status: 503, headers: { 'retry-after': '1' } },
      { json: { id: 1 } },
    );
    const first = await fetch(`${api.url}/users/7?x=1`, { headers: { 'x-correlation-id': 'c-1' } });
    expect(first.status).toBe(503);
    expect(first.headers.get('retry-after')).toBe('1');
    await first.body?.cancel();
    for (let i = 0; i < 2; i++) {
      const next = await fetch(`${api.url}/users/8`);
      expect(await next.json()).toEqual({ id: 1 });
    }
    const seen = api.requestsTo('GET', '/users/:id');
    expect(seen.map((r) => r.params['id'])).toEqual(['7', '8', '8']);
    expect(seen[0]?.url).toBe('/users/7?x=1');
    expect(seen[0]?.headers['x-correlation-id']).toBe('c-1');
  });

  it('records bodies and computes answers from the request', async () => {
    const api = await service();
    api.route('POST', '/echo', (request) => ({
      status: 201,
      json: JSON.parse(request.body) as unknown,
    }));
    const response = await fetch(`${api.url}/echo`, { method: 'POST', body: '{"a":1}' });
    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({ a: 1 });
    expect(api.requests.at(-1)?.body).toBe('{"a":1}');
  });

  it('resets the connection, and hangs until closed', async () => {
    const api = await service();
    api.route('GET', '/reset', 'reset').route('GET', '/hang', 'hang');
    await expect(fetch(`${api.url}/reset`)).rejects.toThrow();
    const hung = fetch(`${api.url}/hang`).then(
      () => 'answered',
      () => 'failed',
    );
    const outcome = await Promise.race([
      hung,
      new Promise((resolve) => {
        setTimeout(() => {
          resolve('still hanging');
        }, 100);
      }),
    ]);
    expect(outcome).toBe('still hanging');
    await api.close();
    expect(await hung).toBe('failed');
  });

  it('delays an answer', async () => {
    const api = await service();
    api.route('GET', '/slow', { delayMs: 80, text: 'late' });
    const started = Date.now();
    const response = await fetch(`${api.url}/slow`);
    expect(await response.text()).toBe('late');
    expect(Date.now() - started).toBeGreaterThanOrEqual(75);
  });
});

describe('createTestRegistry', () => {
  it('holds the services by name, with health checks off', async () => {
    const auth = await service('auth');
    const product = await service('product');
    const registry = createTestRegistry([auth, product]);
    const checked = createTestRegistry([auth], { health: { intervalMs: 10, timeoutMs: 50 } });
    expect(registry.services().sort()).toEqual(['auth', 'product']);
    expect(registry.resolve('auth').baseUrl).toBe(auth.url);
    await auth.close();
    // No background check notices the closed service: the test decides.
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(registry.instances('auth')[0]?.status).toBe('healthy');
    expect(checked.instances('auth')[0]?.status).not.toBe('healthy');
    await registry.close();
    await checked.close();
  });
});
