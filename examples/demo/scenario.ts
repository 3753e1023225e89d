import { expectStatus, field, send } from './http.js';
import { login, register, stock } from './accounts.js';
import { BreakerWatch } from './breaker-watch.js';
import { notificationsCrash } from './crash.js';
import type { DemoStack } from './demo-stack.js';
import { expectExactlyOnce, waitForNotifications } from './notifications.js';
import { authOutage, authRecovery } from './outage.js';
import type { Timeline } from './timeline.js';

/**
 * The scripted scenario: accounts, a product, stock updates with and without
 * permission, the notifications they caused (same correlation ids); with
 * separate processes, the notifications service killed while events keep
 * coming and catching up once restarted; the auth service going down
 * (breaker open: fast 503s, degraded reads) and coming back. Throws when a
 * service answers something the script does not expect.
 */
export async function runScenario(stack: DemoStack, timeline: Timeline): Promise<void> {
  const { authApi, product } = stack.urls;
  const breaker = new BreakerWatch(stack, timeline);

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
  const notifications = await waitForNotifications(stack.urls.notifications, requests);
  for (const n of notifications) {
    timeline.note(`${n.correlationId.padEnd(20)} ${n.type.padEnd(22)} ${n.message}`);
  }
  // Exactly these: so none for bob's refused update (demo-stock-bob).
  expectExactlyOnce(notifications, requests);
  timeline.note(
    `✓ ${notifications.length} notifications, each with the correlation id of the request that caused it; none for bob's refused update`,
  );

  const session = { stack, timeline, breaker, adaToken, bobToken, productId };
  if (stack.crash !== undefined) await notificationsCrash(session, stack.crash);
  await authOutage(session);
  await authRecovery(session);
}
