import { setTimeout as sleep } from 'node:timers/promises';
import { expectStatus, field, send } from './http.js';

/** A notification as `GET /notifications` lists it (the fields the demo prints). */
export type Notification = {
  readonly type: string;
  readonly correlationId: string;
  readonly message: string;
  readonly enrichment: string;
};

/**
 * Events are handled asynchronously: polls the notifications service until
 * each of the `expected` correlation ids has its notification, then returns
 * everything it lists.
 */
export async function waitForNotifications(
  url: string,
  expected: ReadonlySet<string>,
  timeoutMs = 10_000,
): Promise<Notification[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const exchange = await send('GET', `${url}/notifications`);
    expectStatus(exchange, 200, 'list notifications');
    const list = field(exchange, 'notifications') as Notification[];
    const seen = new Set(list.map((n) => n.correlationId));
    const missing = [...expected].filter((id) => !seen.has(id));
    if (missing.length === 0) return list;
    if (Date.now() > deadline) {
      throw new Error(`no notification for ${missing.join(', ')} within ${timeoutMs} ms`);
    }
    await sleep(20);
  }
}

/** Throws unless `list` holds exactly one enriched notification per expected correlation id. */
export function expectExactlyOnce(
  list: readonly Notification[],
  expected: ReadonlySet<string>,
): void {
  const stray = list.filter((n) => !expected.has(n.correlationId));
  if (stray.length > 0 || list.length !== expected.size) {
    throw new Error(
      `expected one notification each for ${[...expected].join(', ')}; got ${JSON.stringify(list)}`,
    );
  }
  if (list.some((n) => n.enrichment !== 'complete')) {
    throw new Error('a notification was not enriched with user info');
  }
}
