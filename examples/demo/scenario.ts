import { setTimeout as sleep } from 'node:timers/promises';
import { expectStatus, field, send, type Exchange } from './http.js';
import type { Stack } from './stack.js';
import { Timeline, formatMs } from './timeline.js';

type Notification = {
  readonly type: string;
  readonly correlationId: string;
  readonly message: string;
  readonly enrichment: string;
};

/**
 * The scripted scenario: accounts, a product, stock updates with and without
 * permission, the notifications they caused (same correlation ids), the auth
 * service going down (breaker open: fast 503s, degraded reads) and coming
 * back. Throws when a service answers something the script does not expect.
 */
export async function runScenario(stack: Stack, timeline: Timeline): Promise<void> {
  const authApi = stack.auth().baseUrl;
  const product = stack.product.url;
  const breaker = stack.registry.instances('auth')[0]?.breaker;
  if (breaker === undefined) throw new Error('auth is not in the registry');
  breaker.on('open', ({ retryAfterMs }) => {
    timeline.later(
      `⚡ breaker ${breaker.name} opened: calls fail fast for ${Math.round(retryAfterMs)} ms`,
    );
  });
  breaker.on('half-open', () => {
    timeline.later(`⚡ breaker ${breaker.name} half-open: one probe goes through`);
  });
  breaker.on('close', () => {
    timeline.later(`⚡ breaker ${breaker.name} closed: the probe succeeded`);
  });

  // 1. Accounts
  timeline.step('Accounts: register and log in (auth publishes user.created, user.login)');
  const ada = await register(timeline, authApi, 'ada', 'Ada Lovelace');
  await register(timeline, authApi, 'bob', 'Bob Moog');
  const adaToken = await login(
    timeline,
    authApi,
    'ada@example.com',
    'ada-password',
    'demo-login-ada',
  );
  const bobToken = await login(
    timeline,
    authApi,
    'bob@example.com',
    'bob-password',
    'demo-login-bob',
  );
  const adminToken = await login(
    timeline,
    authApi,
    stack.admin.email,
    stack.admin.password,
    'demo-login-admin',
  );
  const grant = await send('PATCH', `${authApi}/users/${ada}`, {
    token: adminToken,
    json: { roles: ['staff'] },
    correlationId: 'demo-grant-staff',
  });
  expectStatus(grant, 200, 'grant ada the staff role');
  timeline.request(grant, `ada is staff now: may manage stock (user.updated)`, 'as admin');

  // 2. A product
  timeline.step('Bob creates a product: JWT verified locally, creator from auth, product.created');
  const created = await send('POST', `${product}/products`, {
    token: bobToken,
    json: { name: 'Fountain pen', price: 24.5, category: 'stationery', stock: 10 },
    correlationId: 'demo-create-product',
  });
  expectStatus(created, 201, 'create a product');
  if (field(created, 'enrichment') !== 'complete')
    throw new Error('the new product was not enriched');
  timeline.request(created, 'created, enriched with its creator', 'as bob');
  timeline.json(created.body);
  const productId = Number(field(created, 'id'));
  const stockUrl = `${product}/products/${productId}/stock`;

  // 3. Stock
  timeline.step('Stock updates: manage_stock checked with AuthServiceClient.validatePermissions');
  const denied = await send('PATCH', stockUrl, {
    token: bobToken,
    json: { quantity: 7 },
    correlationId: 'demo-stock-bob',
  });
  expectStatus(denied, 403, 'bob updates the stock');
  timeline.request(denied, `forbidden: ${String(field(denied, 'message'))}`, 'as bob');
  const allowed = await send('PATCH', stockUrl, {
    token: adaToken,
    json: { quantity: 7, reason: 'restock count' },
    correlationId: 'demo-stock-ada',
  });
  expectStatus(allowed, 200, 'ada updates the stock');
  timeline.request(allowed, `stock ${stock(allowed)} (product.stock_updated)`, 'as ada');

  // 4. Notifications
  timeline.step(
    "Notifications: the subscriber ran each handler in its event's correlation context",
  );
  const requests = new Set([
    'demo-register-ada',
    'demo-register-bob',
    'demo-login-ada',
    'demo-login-bob',
    'demo-login-admin',
    'demo-grant-staff',
    'demo-create-product',
    'demo-stock-ada',
  ]);
  const notifications = await waitForNotifications(stack.notifications.url, requests);
  for (const n of notifications) {
    timeline.note(`${n.correlationId.padEnd(20)} ${n.type.padEnd(22)} ${n.message}`);
  }
  const stray = notifications.filter((n) => !requests.has(n.correlationId));
  if (stray.length > 0 || notifications.length !== requests.size) {
    throw new Error(`unexpected notifications: ${JSON.stringify(notifications)}`);
  }
  if (notifications.some((n) => n.enrichment !== 'complete')) {
    throw new Error('a notification was not enriched with user info');
  }
  if (notifications.some((n) => n.correlationId === 'demo-stock-bob')) {
    throw new Error('the refused stock update caused a notification');
  }
  timeline.note(
    `✓ ${notifications.length} notifications, each with the correlation id of the request that caused it; none for bob's refused update`,
  );

  // 5. Auth down
  timeline.step('The auth service goes down');
  await stack.stopAuth();
  timeline.note(`auth stopped (the registry still lists ${stack.auth().baseUrl})`);
  const degraded = await send('GET', `${product}/products/${productId}`, { token: adaToken });
  expectStatus(degraded, 200, 'read a product while auth is down');
  if (field(degraded, 'enrichment') !== 'unavailable') throw new Error('the read was not degraded');
  timeline.request(
    degraded,
    `degraded read: creator null, enrichment unavailable (${String(field(degraded, 'degradedReason'))})`,
  );
  const failures: Exchange[] = [];
  for (let i = 0; i < 3; i += 1) {
    const refused = await send('PATCH', stockUrl, { token: adaToken, json: { quantity: 6 } });
    expectStatus(refused, 503, 'update the stock while auth is down');
    failures.push(refused);
    timeline.request(
      refused,
      `${String(field(refused, 'error'))}: ${String(field(refused, 'reason'))}`,
    );
  }
  const fast = failures.at(-1);
  if (breaker.state !== 'open')
    throw new Error(`expected the auth breaker open, it is ${breaker.state}`);
  const ready = await send('GET', `${product}/ready`);
  expectStatus(ready, 503, 'product readiness while auth is down');
  timeline.request(ready, 'not ready: auth breaker open');
  const again = await send('GET', `${product}/products/${productId}`, { token: adaToken });
  expectStatus(again, 200, 'read again while auth is down');
  timeline.request(again, `degraded read (${String(field(again, 'degradedReason'))})`);
  timeline.note(
    `✓ writes refused with 503 in ${fast === undefined ? '?' : formatMs(fast.ms)} once the breaker is open; reads still answer`,
  );

  // 6. Recovery
  timeline.step('The auth service comes back');
  await stack.restartAuth();
  timeline.note(`auth restarted on ${stack.auth().url} with the same users and signing key`);
  const waitMs = Math.max(0, (breaker.stats().nextAttemptAt ?? Date.now()) - Date.now());
  timeline.note(`waiting ${Math.ceil(waitMs)} ms for the breaker's next probe`);
  await sleep(waitMs + 50);
  const recovered = await send('GET', `${product}/products/${productId}`, { token: adaToken });
  expectStatus(recovered, 200, 'read after recovery');
  if (field(recovered, 'enrichment') !== 'complete')
    throw new Error('the read after recovery was not enriched');
  timeline.request(recovered, 'enriched again: creator from auth');
  const updated = await send('PATCH', stockUrl, {
    token: adaToken,
    json: { quantity: 5, reason: 'sold two' },
    correlationId: 'demo-stock-after',
  });
  expectStatus(updated, 200, 'update the stock after recovery');
  timeline.request(updated, `stock ${stock(updated)}`, 'as ada');
  // Read again: TypeScript would keep the 'open' it narrowed the getter to above.
  const state: string = breaker.stats().state;
  if (state !== 'closed') throw new Error(`expected the auth breaker closed, it is ${state}`);
  timeline.note('✓ recovered: the breaker closed after one successful probe');
}

async function register(
  timeline: Timeline,
  api: string,
  name: string,
  fullName: string,
): Promise<number> {
  const exchange = await send('POST', `${api}/auth/register`, {
    json: { email: `${name}@example.com`, username: name, password: `${name}-password`, fullName },
    correlationId: `demo-register-${name}`,
  });
  expectStatus(exchange, 201, `register ${name}`);
  const id = Number(field(exchange, 'id'));
  timeline.request(exchange, `user ${id} (${name}@example.com)`);
  return id;
}

async function login(
  timeline: Timeline,
  api: string,
  email: string,
  password: string,
  correlationId: string,
): Promise<string> {
  const exchange = await send('POST', `${api}/auth/login`, {
    json: { email, password },
    correlationId,
  });
  expectStatus(exchange, 200, `log in ${email}`);
  timeline.request(exchange, `${email}: ES256 JWT issued`);
  return String(field(exchange, 'accessToken'));
}

function stock(exchange: Exchange): string {
  return `${String(field(exchange, 'oldQuantity'))} → ${String(field(exchange, 'newQuantity'))}`;
}

// Events are handled asynchronously: polls until each request has its notification.
async function waitForNotifications(
  url: string,
  expected: ReadonlySet<string>,
): Promise<Notification[]> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const exchange = await send('GET', `${url}/notifications`);
    expectStatus(exchange, 200, 'list notifications');
    const list = field(exchange, 'notifications') as Notification[];
    const seen = new Set(list.map((n) => n.correlationId));
    const missing = [...expected].filter((id) => !seen.has(id));
    if (missing.length === 0) return list;
    if (Date.now() > deadline)
      throw new Error(`no notification for ${missing.join(', ')} within 5 s`);
    await sleep(20);
  }
}
