import { describe, expect, it } from 'vitest';
import { EventPublisher, UserEvents, withCorrelation } from 'switchboard';
import { createTestService } from 'switchboard/testing';
import { notificationsAuthContract } from '../../examples/contracts/auth-contract.js';
import { createNotificationsService } from '../../examples/notifications-service/notifications-service.js';
import { createProductService } from '../../examples/product-service/product-service.js';
import type { ServiceHandle } from '../../examples/shared/listen.js';
import {
  NOTIFIER,
  call,
  closeAfter,
  eventually,
  recordingBus,
  registry,
  requestsOutside,
  signUp,
  startAuth,
} from './helpers.js';

type Notification = {
  readonly type: string;
  readonly correlationId: string;
  readonly causationId?: string;
  readonly eventId: string;
  readonly message: string;
  readonly user: { readonly id: number; readonly username: string } | null;
  readonly enrichment: string;
  readonly degradedReason?: string;
};

async function notificationsOf(
  service: ServiceHandle,
  query: Record<string, string> = {},
): Promise<Notification[]> {
  const reply = await call(
    'GET',
    `${service.url}/notifications?${new URLSearchParams(query).toString()}`,
  );
  expect(reply.status).toBe(200);
  return reply.body['notifications'] as Notification[];
}

async function notificationFor(
  service: ServiceHandle,
  correlationId: string,
  type: string,
): Promise<Notification> {
  return eventually(async () => (await notificationsOf(service, { correlationId, type }))[0]);
}

describe('notifications service', () => {
  it("turns the events of an HTTP request into notifications with that request's correlation id", async () => {
    const bus = recordingBus();
    const reg = registry();
    const auth = await startAuth({ registry: reg, bus });
    const notifications = closeAfter(
      await createNotificationsService({ port: 0, registry: reg, bus, credentials: NOTIFIER }),
    );
    const product = closeAfter(await createProductService({ port: 0, registry: reg, bus }));
    const bob = await signUp(auth, 'bob');

    const created = await call('POST', `${product.url}/products`, {
      token: bob.token,
      json: { name: 'Fountain pen', price: 24.5 },
      correlationId: 'corr-http-to-notification',
    });
    expect(created.status).toBe(201);
    const notification = await notificationFor(
      notifications,
      'corr-http-to-notification',
      'product.created',
    );
    expect(notification).toMatchObject({
      message: 'bob created product 1 "Fountain pen" at 24.5',
      user: { id: bob.id, username: 'bob' },
      enrichment: 'complete',
    });
    // The handler ran in the event's context: its causation is the event itself.
    expect(notification.causationId).toBe(notification.eventId);

    // One notification per event for the group: each type once, nothing for other requests.
    const all = await notificationsOf(notifications, {
      correlationId: 'corr-http-to-notification',
    });
    expect(all.map((n) => n.type)).toEqual(['product.created']);
    const ready = await call('GET', `${notifications.url}/ready`);
    expect(ready.status).toBe(200);
  });

  it("sends the event's correlation id on the HTTP call that enriches it", async () => {
    const bus = recordingBus();
    const reg = registry();
    const auth = closeAfter(await createTestService('auth'));
    auth
      .route('POST', '/oauth/token', { json: { access_token: 'service-token', expires_in: 900 } })
      .route('GET', '/users/:id', (request) => ({
        json: { id: Number(request.params['id']), email: 'ada@example.com', username: 'ada' },
      }));
    auth.registerIn(reg);
    const notifications = closeAfter(
      await createNotificationsService({ port: 0, registry: reg, bus, credentials: NOTIFIER }),
    );

    await withCorrelation({ correlationId: 'corr-event' }, () =>
      new EventPublisher(bus).publishUserCreated({
        userId: 7,
        email: 'ada@example.com',
        username: 'ada',
      }),
    );
    const notification = await notificationFor(notifications, 'corr-event', 'user.created');
    expect(notification).toMatchObject({
      user: { id: 7, username: 'ada' },
      enrichment: 'complete',
    });
    const lookups = auth.requestsTo('GET', '/users/:id');
    expect(lookups.map((request) => request.headers['x-correlation-id'])).toEqual(['corr-event']);
    expect(lookups[0]?.headers['authorization']).toBe('Bearer service-token');
    const [tokenRequest] = auth.requestsTo('POST', '/oauth/token');
    expect(JSON.parse(tokenRequest?.body ?? '{}')).toMatchObject({
      grant_type: 'client_credentials',
      client_id: NOTIFIER.clientId,
    });
    // Nothing it called is missing from its contract with auth.
    expect(requestsOutside(auth, [notificationsAuthContract, ''])).toEqual([]);
  });

  it('still records the notification, flagged, when user info is unavailable', async () => {
    const bus = recordingBus();
    const reg = registry();
    const auth = closeAfter(await createTestService('auth'));
    auth.route('POST', '/oauth/token', { status: 503, json: { error: 'down' } });
    auth.registerIn(reg);
    const notifications = closeAfter(
      await createNotificationsService({ port: 0, registry: reg, bus, credentials: NOTIFIER }),
    );
    const withoutCredentials = closeAfter(
      await createNotificationsService({ port: 0, registry: reg, bus, group: 'other' }),
    );

    await withCorrelation({ correlationId: 'corr-down' }, () =>
      new EventPublisher(bus).publishUserLogin({ userId: 7, email: 'ada@example.com' }),
    );
    const degraded = await notificationFor(notifications, 'corr-down', 'user.login');
    expect(degraded).toMatchObject({
      message: 'user 7 logged in',
      user: null,
      enrichment: 'unavailable',
    });
    expect(degraded.degradedReason).toMatch(/HTTP_ERROR 503|CIRCUIT_OPEN/);
    // Its own group: it got the event too, and says why it could not enrich it.
    const other = await notificationFor(withoutCredentials, 'corr-down', 'user.login');
    expect(other.degradedReason).toBe('NO_CREDENTIALS');
  });

  it('drains its subscriber on close: an event being handled is finished, not dropped', async () => {
    const bus = recordingBus();
    const reg = registry();
    const auth = closeAfter(await createTestService('auth'));
    auth
      .route('POST', '/oauth/token', { json: { access_token: 'service-token', expires_in: 900 } })
      .route('GET', '/users/:id', {
        json: { id: 7, email: 'ada@example.com', username: 'ada' },
        delayMs: 300,
      });
    auth.registerIn(reg);
    const notifications = closeAfter(
      await createNotificationsService({ port: 0, registry: reg, bus, credentials: NOTIFIER }),
    );
    await new EventPublisher(bus).publishUserCreated({
      userId: 7,
      email: 'ada@example.com',
      username: 'ada',
    });
    await eventually(() =>
      Promise.resolve(auth.requestsTo('GET', '/users/:id').length > 0 ? true : undefined),
    );
    await notifications.close();
    expect(bus.delivered(UserEvents.created)).toHaveLength(1);
  });
});
