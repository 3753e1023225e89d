import { login, register, stock } from './accounts.js';
import type { DemoStack } from './demo-stack.js';
import { expectStatus, send } from './http.js';
import { expectExactlyOnce, waitForNotifications } from './notifications.js';
import type { Session } from './session.js';
import { formatMs } from './timeline.js';

/**
 * Separate processes only: the notifications service is killed, four events
 * are published while it is down, and once restarted under the same consumer
 * name it catches up on exactly those, with the correlation ids of the
 * requests that caused them.
 */
export async function notificationsCrash(
  session: Session,
  crash: NonNullable<DemoStack['crash']>,
): Promise<void> {
  const { stack, timeline, adaToken, bobToken, productId } = session;
  const { authApi, product } = stack.urls;
  timeline.step('The notifications service crashes; events published meanwhile wait in Redis');
  timeline.note(await crash.killNotifications());
  const updated = await send('PUT', `${product}/products/${productId}`, {
    token: bobToken,
    json: { name: 'Fountain pen', price: 26.5, description: 'Steel nib', category: 'stationery' },
    correlationId: 'demo-offline-update',
  });
  expectStatus(updated, 200, 'bob updates his product');
  timeline.request(updated, 'price 26.5, description added (product.updated)', 'as bob');
  const restocked = await send('PATCH', `${product}/products/${productId}/stock`, {
    token: adaToken,
    json: { quantity: 12, reason: 'delivery' },
    correlationId: 'demo-offline-stock',
  });
  expectStatus(restocked, 200, 'ada updates the stock');
  timeline.request(restocked, `stock ${stock(restocked)} (product.stock_updated)`, 'as ada');
  await register(timeline, authApi, 'cy', 'Cy Twombly', 'demo-offline-register');
  await login(timeline, authApi, 'cy@example.com', 'cy-password', 'demo-offline-login');
  const missed = new Set([
    'demo-offline-update',
    'demo-offline-stock',
    'demo-offline-register',
    'demo-offline-login',
  ]);
  timeline.note(`${missed.size} events published while nobody in its group was running`);

  timeline.step('The notifications service restarts and catches up');
  timeline.note(await crash.restartNotifications());
  const started = performance.now();
  // A new process starts with an empty log: what it lists, it handled since the restart.
  const list = await waitForNotifications(stack.urls.notifications, missed);
  const ms = performance.now() - started;
  for (const n of list) {
    timeline.note(`↻ ${n.correlationId.padEnd(22)} ${n.type.padEnd(22)} ${n.message}`);
  }
  expectExactlyOnce(list, missed);
  timeline.note(
    `✓ caught up on ${list.length} of ${missed.size} events within ${formatMs(ms)} of listening, with their correlation ids; none lost, none twice`,
  );
}
