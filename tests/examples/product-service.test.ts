import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';
import { ProductEvents } from 'switchboard';
import { createTestRegistry, createTestService } from 'switchboard/testing';
import { AUTH_BASE_PATH, createAuthService } from '../../examples/auth-service/auth-service.js';
import {
  productAuthContract,
  productAuthKeysContract,
} from '../../examples/contracts/auth-contract.js';
import { JWKS_PATH, TOKEN_AUDIENCE, TOKEN_ISSUER } from '../../examples/shared/token-contract.js';
import {
  NOTIFIER,
  call,
  closeAfter,
  eventually,
  makeStaff,
  operationsUnused,
  recordingBus,
  registry,
  requestsOutside,
  signUp,
  startAuth,
  startAuthAndProduct,
  startProduct,
} from './helpers.js';

const setUp = startAuthAndProduct;
type Stack = Awaited<ReturnType<typeof setUp>>;

const pen = { name: 'Fountain pen', price: 24.5, category: 'stationery', stock: 10 };

async function createPen(stack: Stack, token: string): Promise<number> {
  const reply = await call('POST', `${stack.product.url}/products`, { token, json: pen });
  expect(reply.status).toBe(201);
  return Number(reply.body['id']);
}

describe('product service', () => {
  it('creates a product: enriched with its creator and the correlation id, product.created published', async () => {
    const stack = await setUp();
    const bob = await signUp(stack.auth, 'bob');
    const reply = await call('POST', `${stack.product.url}/products`, {
      token: bob.token,
      json: pen,
      correlationId: 'corr-create',
    });
    expect(reply.status).toBe(201);
    expect(reply.body).toMatchObject({
      ...pen,
      createdBy: bob.id,
      creator: { id: bob.id, username: 'bob', fullName: null },
      enrichment: 'complete',
      correlationId: 'corr-create',
    });
    expect(reply.headers.get('x-correlation-id')).toBe('corr-create');
    const event = stack.bus.expectPublished(ProductEvents.created, {
      productId: Number(reply.body['id']),
      name: pen.name,
      price: pen.price,
      createdBy: bob.id,
      category: 'stationery',
    });
    expect(event.correlationid).toBe('corr-create');

    const read = await call('GET', `${stack.product.url}/products/${String(reply.body['id'])}`, {
      token: bob.token,
    });
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ creator: { username: 'bob' }, enrichment: 'complete' });
  });

  it('requires a valid user token on every route', async () => {
    const stack = await setUp();
    const url = `${stack.product.url}/products`;
    expect((await call('POST', url, { json: pen })).status).toBe(401);
    const forged = await call('POST', url, { token: 'eyJhbGciOiJub25lIn0.e30.', json: pen });
    expect(forged.status).toBe(401);
    // A service's token is valid, but products are for people.
    const service = await call('POST', `${stack.auth.baseUrl}/oauth/token`, {
      json: {
        grant_type: 'client_credentials',
        client_id: NOTIFIER.clientId,
        client_secret: NOTIFIER.clientSecret,
      },
    });
    const asService = await call('POST', url, {
      token: String(service.body['access_token']),
      json: pen,
    });
    expect(asService.status).toBe(401);
    expect(asService.body['message']).toBe('a user token is required');
    expect(stack.bus.published()).toHaveLength(0);
  });

  it('refuses a stock update without manage_stock, and publishes old and new quantity with it', async () => {
    const stack = await setUp();
    const bob = await signUp(stack.auth, 'bob');
    const ada = await signUp(stack.auth, 'ada');
    await makeStaff(stack.auth, ada.id);
    const id = await createPen(stack, bob.token);
    const stockUrl = `${stack.product.url}/products/${id}/stock`;

    const denied = await call('PATCH', stockUrl, { token: bob.token, json: { quantity: 7 } });
    expect(denied.status).toBe(403);
    expect(denied.body).toMatchObject({
      error: 'forbidden',
      message: 'the manage_stock permission is required',
    });
    expect(stack.bus.published(ProductEvents.stockUpdated)).toEqual([]);

    const stockUpdated = stack.bus.waitForEvent(ProductEvents.stockUpdated, {
      where: (event) => event.correlationid === 'corr-stock',
    });
    const allowed = await call('PATCH', stockUrl, {
      token: ada.token,
      json: { quantity: 7, reason: 'count' },
      correlationId: 'corr-stock',
    });
    expect(allowed.status).toBe(200);
    expect(allowed.body).toEqual({
      productId: id,
      oldQuantity: 10,
      newQuantity: 7,
      reason: 'count',
      updatedBy: ada.id,
      correlationId: 'corr-stock',
    });
    expect((await stockUpdated).data).toEqual({
      productId: id,
      oldQuantity: 10,
      newQuantity: 7,
      updatedBy: ada.id,
      reason: 'count',
    });
  });

  it('lets the creator, or update_product, replace a product, publishing only what changed', async () => {
    const stack = await setUp();
    const bob = await signUp(stack.auth, 'bob');
    const eve = await signUp(stack.auth, 'eve');
    const id = await createPen(stack, bob.token);
    const url = `${stack.product.url}/products/${id}`;
    const replacement = {
      name: 'Fountain pen',
      price: 29,
      description: 'Steel nib',
      category: 'stationery',
    };

    const byOther = await call('PUT', url, { token: eve.token, json: replacement });
    expect(byOther.status).toBe(403);
    const byCreator = await call('PUT', url, { token: bob.token, json: replacement });
    expect(byCreator.status).toBe(200);
    expect(byCreator.body).toMatchObject({ price: 29, description: 'Steel nib', stock: 10 });
    expect(stack.bus.published(ProductEvents.updated).map((event) => event.data)).toEqual([
      { productId: id, changes: { price: 29, description: 'Steel nib' }, updatedBy: bob.id },
    ]);
  });

  it('when auth is down: reads degrade, permission-checked writes fail fast with 503; then it recovers', async () => {
    const stack = await setUp();
    const ada = await signUp(stack.auth, 'ada');
    await makeStaff(stack.auth, ada.id);
    const id = await createPen(stack, ada.token);
    const url = `${stack.product.url}/products/${id}`;
    const { store, port } = stack.auth;
    await stack.auth.close();

    const degraded = await call('GET', url, { token: ada.token });
    expect(degraded.status).toBe(200);
    expect(degraded.body).toMatchObject({ id, creator: null, enrichment: 'unavailable' });
    expect(degraded.body['degradedReason']).toMatch(/NETWORK_ERROR|CIRCUIT_OPEN/);

    const first = await call('PATCH', `${url}/stock`, { token: ada.token, json: { quantity: 1 } });
    expect(first.status).toBe(503);
    expect(first.body).toMatchObject({ error: 'dependency_unavailable', dependency: 'auth' });
    expect(first.body['message']).toMatch(/manage_stock/);

    // The breaker is open now: the next write fails without touching the network.
    const breaker = stack.registry.instances('auth')[0]?.breaker;
    expect(breaker?.state).toBe('open');
    const started = Date.now();
    const fast = await call('PATCH', `${url}/stock`, { token: ada.token, json: { quantity: 1 } });
    const elapsed = Date.now() - started;
    expect(fast.status).toBe(503);
    expect(fast.body).toMatchObject({ reason: 'CIRCUIT_OPEN', dependency: 'auth' });
    expect(Number(fast.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(elapsed).toBeLessThan(1_000); // generous: the point is "no timeout, no retries waited out"
    expect((await call('GET', `${stack.product.url}/ready`)).status).toBe(503);
    expect(stack.bus.published(ProductEvents.stockUpdated)).toEqual([]);

    // Back on the same port with the same users and keys: the breaker's probe closes it.
    const auth = closeAfter(
      await createAuthService({ port, store, registry: stack.registry, bus: stack.bus }),
    );
    expect(auth.baseUrl).toBe(stack.registry.instances('auth')[0]?.baseUrl);
    const recovered = await eventuallyStatus(
      () => call('PATCH', `${url}/stock`, { token: ada.token, json: { quantity: 1 } }),
      200,
    );
    expect(recovered.body).toMatchObject({ oldQuantity: 10, newQuantity: 1 });
    expect(breaker?.state).toBe('closed');
    const read = await call('GET', url, { token: ada.token });
    expect(read.body['enrichment']).toBe('complete');
    expect((await call('GET', `${stack.product.url}/ready`)).status).toBe(200);
  });

  it('keeps verifying tokens with the keys it has when the registry finds auth unhealthy', async () => {
    const bus = recordingBus();
    const reg = closeAfter(
      createTestRegistry([], {
        health: { intervalMs: 50, timeoutMs: 200, unhealthyThreshold: 1 },
      }),
    );
    const auth = await startAuth({ registry: reg, bus });
    const product = await startProduct(reg, bus);
    const ada = await signUp(auth, 'ada');
    const created = await call('POST', `${product.url}/products`, { token: ada.token, json: pen });
    expect(created.status).toBe(201);
    await auth.close();
    await eventually(() =>
      Promise.resolve(reg.instances('auth')[0]?.status === 'unhealthy' ? true : undefined),
    );

    const read = await call('GET', `${product.url}/products/${String(created.body['id'])}`, {
      token: ada.token,
    });
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({
      enrichment: 'unavailable',
      degradedReason: 'SERVICE_UNAVAILABLE',
    });
    const write = await call(
      'PATCH',
      `${product.url}/products/${String(created.body['id'])}/stock`,
      {
        token: ada.token,
        json: { quantity: 1 },
      },
    );
    expect(write.status).toBe(503);
    expect(write.body).toMatchObject({ reason: 'SERVICE_UNAVAILABLE', dependency: 'auth' });
  });

  it('calls the auth service only as its contracts with auth declare', async () => {
    // A stand-in auth service serving only what the contracts declare, with
    // keys of its own; the auth service's suite checks the real one against
    // the same contracts (tests/examples/auth-contracts.test.ts).
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const kid = 'stand-in';
    const auth = closeAfter(await createTestService('auth'));
    auth
      .route('GET', JWKS_PATH, { json: { keys: [{ ...(await exportJWK(publicKey)), kid }] } })
      .route('GET', `${AUTH_BASE_PATH}/users/:id`, (request) => ({
        json: { id: Number(request.params['id']), email: 'ada@example.com', username: 'ada' },
      }))
      .route('GET', `${AUTH_BASE_PATH}/users/:id/permissions`, (request) => ({
        json: { userId: Number(request.params['id']), permissions: ['manage_stock'] },
      }));
    const reg = registry();
    reg.register({ name: 'auth', baseUrl: `${auth.url}${AUTH_BASE_PATH}` });
    const bus = recordingBus();
    const product = await startProduct(reg, bus);
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid })
      .setSubject('7')
      .setIssuer(TOKEN_ISSUER)
      .setAudience(TOKEN_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey);

    const created = await call('POST', `${product.url}/products`, { token, json: pen });
    expect(created.body).toMatchObject({ creator: { username: 'ada' }, enrichment: 'complete' });
    const id = Number(created.body['id']);
    bus.expectPublished(ProductEvents.created, { productId: id, createdBy: 7 });
    const stock = await call('PATCH', `${product.url}/products/${id}/stock`, {
      token,
      json: { quantity: 3 },
    });
    expect(stock.status).toBe(200);
    bus.expectPublished(ProductEvents.stockUpdated, { productId: id, newQuantity: 3 });

    const contracts = [
      [productAuthContract, AUTH_BASE_PATH],
      [productAuthKeysContract, ''],
    ] as const;
    expect(requestsOutside(auth, ...contracts)).toEqual([]);
    expect(operationsUnused(auth, ...contracts)).toEqual([]);
  });

  it('documents its routes at /docs', async () => {
    const stack = await setUp();
    const docs = await call('GET', `${stack.product.url}/docs/json`);
    expect(Object.keys(docs.body['paths'] as object)).toEqual(
      expect.arrayContaining([
        '/products',
        '/products/{id}',
        '/products/{id}/stock',
        '/health',
        '/ready',
      ]),
    );
  });
});

// Retries `request` (the breaker needs its reset time first) until it answers `status`.
async function eventuallyStatus(
  request: () => ReturnType<typeof call>,
  status: number,
): ReturnType<typeof call> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const reply = await request();
    if (reply.status === status || Date.now() > deadline) {
      expect(reply.status).toBe(status);
      return reply;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
