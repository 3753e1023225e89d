import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { send, type Exchange } from '../../examples/demo/http.js';
import {
  ADMIN,
  BREAKER,
  alive,
  eventually,
  killByPid,
  startServices,
  type Services,
} from './stack.js';

// The example services as they are deployed: each main.ts a process of its own
// on a real port, talking HTTP through switchboard's clients and events over
// Redis Streams (the test Redis, a prefix of their own). One scenario, in
// order: each test builds on what the ones before it did.

type Body = Record<string, unknown>;
type Notification = { type: string; correlationId: string; eventId: string; enrichment: string };

const redisUrl = inject('redisUrl');
let services: Services;
let adaToken: string;
let bobToken: string;
let bobId: number;
let productId: number;
/** Correlation id → the type of the event its request published. */
const published = new Map<string, string>();

function body(exchange: Exchange): Body {
  return exchange.body as Body;
}

async function ok(exchange: Promise<Exchange>, status: number): Promise<Exchange> {
  const done = await exchange;
  expect(done.status, JSON.stringify(done.body)).toBe(status);
  return done;
}

async function notificationsOf(url: string): Promise<Notification[]> {
  const list = await ok(send('GET', `${url}/notifications`), 200);
  return body(list)['notifications'] as Notification[];
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? NaN)
    : ((sorted[middle - 1] ?? NaN) + (sorted[middle] ?? NaN)) / 2;
}

beforeAll(async () => {
  services = await startServices(redisUrl);
  const api = services.authApi;
  const ids: Record<string, number> = {};
  for (const name of ['ada', 'bob']) {
    const registered = await ok(
      send('POST', `${api}/auth/register`, {
        json: { email: `${name}@example.com`, username: name, password: `${name}-password` },
        correlationId: `e2e-register-${name}`,
      }),
      201,
    );
    ids[name] = Number(body(registered)['id']);
    published.set(`e2e-register-${name}`, 'user.created');
  }
  const login = async (email: string, password: string, correlationId: string) => {
    const reply = await ok(
      send('POST', `${api}/auth/login`, { json: { email, password }, correlationId }),
      200,
    );
    published.set(correlationId, 'user.login');
    return String(body(reply)['accessToken']);
  };
  bobId = ids['bob'] ?? NaN;
  adaToken = await login('ada@example.com', 'ada-password', 'e2e-login-ada');
  bobToken = await login('bob@example.com', 'bob-password', 'e2e-login-bob');
  const admin = await login(ADMIN.email, ADMIN.password, 'e2e-login-admin');
  await ok(
    send('PATCH', `${api}/users/${String(ids['ada'])}`, {
      token: admin,
      json: { roles: ['staff'] },
      correlationId: 'e2e-grant',
    }),
    200,
  );
  published.set('e2e-grant', 'user.updated');
}, 180_000);

afterAll(async () => {
  // Undefined when the services did not start.
  await (services as Services | undefined)?.close();
}, 60_000);

describe('the example services as separate processes over Redis Streams', () => {
  it('answers with products enriched with their creator from the auth service', async () => {
    const created = await ok(
      send('POST', `${services.product.url}/products`, {
        token: bobToken,
        json: { name: 'Fountain pen', price: 24.5, category: 'stationery', stock: 10 },
        correlationId: 'e2e-create',
      }),
      201,
    );
    published.set('e2e-create', 'product.created');
    expect(created.correlationId).toBe('e2e-create');
    expect(body(created)).toMatchObject({
      name: 'Fountain pen',
      createdBy: bobId,
      creator: { id: bobId, username: 'bob' },
      enrichment: 'complete',
      correlationId: 'e2e-create',
    });
    productId = Number(body(created)['id']);
    const read = await ok(
      send('GET', `${services.product.url}/products/${productId}`, { token: adaToken }),
      200,
    );
    expect(body(read)).toMatchObject({ creator: { username: 'bob' }, enrichment: 'complete' });
  }, 30_000);

  it('refuses a stock update without manage_stock, and makes it with', async () => {
    const url = `${services.product.url}/products/${productId}/stock`;
    const denied = await ok(
      send('PATCH', url, {
        token: bobToken,
        json: { quantity: 7 },
        correlationId: 'e2e-stock-bob',
      }),
      403,
    );
    expect(body(denied)).toMatchObject({ error: 'forbidden', correlationId: 'e2e-stock-bob' });
    const allowed = await ok(
      send('PATCH', url, {
        token: adaToken,
        json: { quantity: 7 },
        correlationId: 'e2e-stock-ada',
      }),
      200,
    );
    published.set('e2e-stock-ada', 'product.stock_updated');
    expect(body(allowed)).toMatchObject({
      oldQuantity: 10,
      newQuantity: 7,
      correlationId: 'e2e-stock-ada',
    });
  }, 30_000);

  it('hands each event to exactly one consumer of the notifications group, with its request’s correlation id', async () => {
    const [a, b] = services.notifications;
    const everything = async (): Promise<Notification[]> => [
      ...(await notificationsOf(a.url)),
      ...(await notificationsOf(b.url)),
    ];
    await eventually('a notification for every request', async () => {
      const seen = new Set((await everything()).map((n) => n.correlationId));
      return [...published.keys()].every((id) => seen.has(id)) ? true : undefined;
    });
    await eventually('nothing pending in the group', async () =>
      (await services.pending()) === 0 ? true : undefined,
    );

    const all = await everything();
    // One notification per published event, across both processes of the group.
    expect(all).toHaveLength(await services.published());
    expect(new Set(all.map((n) => n.eventId)).size).toBe(all.length);
    expect(Object.fromEntries(all.map((n) => [n.correlationId, n.type]))).toEqual(
      Object.fromEntries(published),
    );
    expect(all.every((n) => n.enrichment === 'complete')).toBe(true);
    expect(all.some((n) => n.correlationId === 'e2e-stock-bob')).toBe(false);
    expect(await services.redis.xlen(`${services.prefix}:dead:{user}`)).toBe(0);
    expect(await services.redis.xlen(`${services.prefix}:dead:{product}`)).toBe(0);
  }, 30_000);

  it('a notifications process killed with SIGKILL catches up after a restart: nothing lost, nothing twice', async () => {
    const [a, b] = services.notifications;
    // One consumer left in the group, so the events published next wait for it.
    expect(await b.stop()).toBe(0);
    expect(await services.pending()).toBe(0);
    const pid = await killByPid(a);
    expect(alive(pid)).toBe(false);

    const before = await services.published();
    const product = services.product.url;
    const missed = new Map<string, string>();
    for (const quantity of [20, 21, 22]) {
      await ok(
        send('PATCH', `${product}/products/${productId}/stock`, {
          token: adaToken,
          json: { quantity },
          correlationId: `e2e-offline-stock-${quantity}`,
        }),
        200,
      );
      missed.set(`e2e-offline-stock-${quantity}`, 'product.stock_updated');
    }
    await ok(
      send('PUT', `${product}/products/${productId}`, {
        token: bobToken,
        json: { name: 'Fountain pen', price: 26, description: null, category: 'stationery' },
        correlationId: 'e2e-offline-update',
      }),
      200,
    );
    missed.set('e2e-offline-update', 'product.updated');
    await ok(
      send('POST', `${services.authApi}/auth/register`, {
        json: { email: 'cy@example.com', username: 'cy', password: 'cy-password' },
        correlationId: 'e2e-offline-register',
      }),
      201,
    );
    missed.set('e2e-offline-register', 'user.created');
    // What was published while the group had nobody running.
    expect((await services.published()) - before).toBe(missed.size);

    await a.start(); // the same port and consumer name
    const started = performance.now();
    const list = await eventually('every missed event notified', async () => {
      const notified = await notificationsOf(a.url);
      return notified.length >= missed.size ? notified : undefined;
    });
    const catchUpMs = performance.now() - started;
    await eventually('nothing pending in the group', async () =>
      (await services.pending()) === 0 ? true : undefined,
    );
    // A new process starts with an empty log: exactly the missed events, once each.
    const again = await notificationsOf(a.url);
    expect(again).toHaveLength(missed.size);
    expect(Object.fromEntries(again.map((n) => [n.correlationId, n.type]))).toEqual(
      Object.fromEntries(missed),
    );
    expect(again.every((n) => n.enrichment === 'complete')).toBe(true);
    expect(list.length).toBe(missed.size);
    console.info(
      `e2e: ${missed.size} missed events caught up ${Math.round(catchUpMs)} ms after the restarted process listened`,
    );
  }, 90_000);

  it('with auth killed, reads degrade and writes fail fast once the breaker is open', async () => {
    await killByPid(services.auth);
    const product = services.product.url;

    const degraded = await ok(
      send('GET', `${product}/products/${productId}`, { token: adaToken }),
      200,
    );
    expect(body(degraded)).toMatchObject({ creator: null, enrichment: 'unavailable' });

    const write = () =>
      send('PATCH', `${product}/products/${productId}/stock`, {
        token: adaToken,
        json: { quantity: 1 },
      });
    await eventually('the breaker open', async () => {
      const refused = await ok(write(), 503);
      expect(body(refused)).toMatchObject({ error: 'dependency_unavailable', dependency: 'auth' });
      return body(refused)['reason'] === 'CIRCUIT_OPEN' ? true : undefined;
    });
    // Several calls, and their median: one slow call on a busy machine is not the breaker's doing.
    const timings: number[] = [];
    for (let i = 0; i < 9; i += 1) {
      const refused = await ok(write(), 503);
      expect(body(refused)).toMatchObject({ reason: 'CIRCUIT_OPEN', dependency: 'auth' });
      timings.push(refused.ms);
    }
    console.info(
      `e2e: failing writes with the breaker open took ${timings.map((ms) => ms.toFixed(1)).join(', ')} ms`,
    );
    expect(median(timings)).toBeLessThan(50);

    const ready = await ok(send('GET', `${product}/ready`), 503);
    expect(JSON.stringify(body(ready)['checks'])).toMatch(/breaker open/);
    expect(services.logs('product').some((entry) => entry.msg === 'breaker opened')).toBe(true);
  }, 30_000);

  it('with auth back, the breaker’s next probe closes it within its reset time', async () => {
    const product = services.product.url;
    // Reads keep coming while auth restarts, so the breaker keeps probing and opening again.
    const restarted = new AbortController();
    const traffic = (async () => {
      while (!restarted.signal.aborted) {
        await send('GET', `${product}/products/${productId}`, { token: adaToken });
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    try {
      await services.auth.start(); // same port, users and signing key from its state file
    } finally {
      restarted.abort();
      await traffic;
    }
    const listening = performance.now();
    const recovered = await eventually(
      'a stock update accepted',
      async () => {
        const reply = await send('PATCH', `${product}/products/${productId}/stock`, {
          token: adaToken,
          json: { quantity: 5 },
        });
        return reply.status === 200 ? reply : undefined;
      },
      BREAKER.resetTimeoutMs * 3,
    );
    const recoveredMs = performance.now() - listening;
    console.info(
      `e2e: writes accepted again ${Math.round(recoveredMs)} ms after auth listened (breaker reset ${BREAKER.resetTimeoutMs} ms)`,
    );
    // A probe failed at most one reset time before auth listened: the next one comes within the
    // reset time, plus a poll and a request (the first to a fresh process) of slack.
    expect(recoveredMs).toBeLessThan(BREAKER.resetTimeoutMs + 1_000);
    expect(body(recovered)['newQuantity']).toBe(5);

    const read = await ok(
      send('GET', `${product}/products/${productId}`, { token: adaToken }),
      200,
    );
    expect(body(read)).toMatchObject({ creator: { username: 'bob' }, enrichment: 'complete' });
    expect((await send('GET', `${product}/ready`)).status).toBe(200);
    expect(services.logs('product').some((entry) => entry.msg === 'breaker closed')).toBe(true);
  }, 90_000);
});
