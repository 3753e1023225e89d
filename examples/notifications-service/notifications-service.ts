import { z } from 'zod';
import {
  AuthServiceClient,
  EventSubscriber,
  ProductEvents,
  UserEvents,
  currentCorrelation,
  isSwitchboardError,
  silentLogger,
  type EventEnvelope,
  type Logger,
  type ServiceInstance,
  type ServiceRegistry,
} from 'switchboard';
import { unavailability } from '../shared/dependency-error.js';
import { busFor, type EventsOption } from '../shared/events.js';
import { registerHealthRoutes } from '../shared/health.js';
import { createHttpApp } from '../shared/http-app.js';
import { listen, once, type ServiceHandle } from '../shared/listen.js';
import { Notification, NotificationLog } from './notification-log.js';
import { ServiceToken, type ClientCredentials } from './service-token.js';

export const NOTIFICATIONS_DEFAULT_PORT = 8002;

export type NotificationsServiceOptions = EventsOption & {
  /** @default 8002; 0 for a free port */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** Where the auth service is found (as `auth`). */
  readonly registry: ServiceRegistry;
  /** Register this instance in `registry` (as `notifications`) once listening. @default false */
  readonly selfRegister?: boolean;
  /** This service's client credentials at the auth service; without them, no enrichment. */
  readonly credentials?: ClientCredentials;
  /** The consumer group. @default 'notifications' */
  readonly group?: string;
  /**
   * This process's stable name in the group: restarted under the same name,
   * it takes back at once the events it held when it died.
   * @default the library's (`<hostname>-<pid>-<random>`)
   */
  readonly consumer?: string;
  /** @default silentLogger */
  readonly logger?: Logger;
};

type User = Notification['user'];
type Enriched = { readonly user: User; readonly degradedReason?: string };

/**
 * The notifications service: a consumer group of its own on the user and
 * product events. Each handler runs inside its event's correlation context,
 * so the call it makes to the auth service for the user's profile carries the
 * correlation id of the request that caused the event, and so does the
 * notification it records (served at `GET /notifications`).
 */
export async function createNotificationsService(
  options: NotificationsServiceOptions,
): Promise<ServiceHandle> {
  const logger = options.logger ?? silentLogger;
  const { registry } = options;
  const { bus, owned } = busFor('notifications-service', options, logger);
  const log = new NotificationLog();
  // Handlers are not waited on by a person: a slower, more patient client than the product service's.
  const auth = new AuthServiceClient({ registry, timeoutMs: 2_000, deadlineMs: 5_000, logger });
  // Its own token through its contract's typed client, over the same ServiceClient:
  // one breaker and one connection pool per auth instance.
  const token =
    options.credentials === undefined
      ? undefined
      : new ServiceToken(auth.client, options.credentials);

  async function userInfo(userId: number): Promise<Enriched> {
    if (token === undefined) return { user: null, degradedReason: 'NO_CREDENTIALS' };
    try {
      const user = await auth.getUserInfo(userId, await token.get());
      return { user: { id: user.id, username: user.username, fullName: user.fullName ?? null } };
    } catch (error) {
      if (isSwitchboardError(error, 'HTTP_ERROR') && error.status === 401) token.invalidate();
      const reason =
        unavailability(error)?.reason ??
        (isSwitchboardError(error, 'HTTP_ERROR') ? `HTTP_ERROR ${error.status}` : undefined);
      if (reason === undefined) throw error; // a bug: let the subscriber retry and dead-letter it
      logger.warn({ userId, reason }, 'user info unavailable: notification not enriched');
      return { user: null, degradedReason: reason };
    }
  }

  async function record(
    event: EventEnvelope,
    userId: number,
    message: (who: string) => string,
  ): Promise<void> {
    const { user, degradedReason } = await userInfo(userId);
    const context = currentCorrelation();
    const entry = log.add({
      type: event.type,
      eventId: event.id,
      correlationId: context?.correlationId ?? event.correlationid,
      ...(context?.causationId === undefined ? {} : { causationId: context.causationId }),
      message: message(user === null ? `user ${userId}` : user.username),
      user,
      enrichment: user === null ? 'unavailable' : 'complete',
      ...(degradedReason === undefined ? {} : { degradedReason }),
    });
    logger.info({ type: entry.type, correlationId: entry.correlationId }, entry.message);
  }

  const subscriber = new EventSubscriber(bus, {
    group: options.group ?? 'notifications',
    ...(options.consumer === undefined ? {} : { consumer: options.consumer }),
    maxDeliveries: 5,
    // A redelivered event (a retry after a crash) is not notified twice.
    dedupe: { ttlMs: 60 * 60 * 1_000 },
    logger,
  })
    .on(UserEvents.created, (event) =>
      record(event, event.data.userId, (who) => `welcome ${who} (${event.data.email})`),
    )
    .on(UserEvents.login, (event) =>
      record(
        event,
        event.data.userId,
        (who) => `${who} logged in${event.data.ip === undefined ? '' : ` from ${event.data.ip}`}`,
      ),
    )
    .on(UserEvents.updated, (event) =>
      record(
        event,
        event.data.userId,
        (who) => `${who}'s account changed: ${Object.keys(event.data.changes).join(', ')}`,
      ),
    )
    .on(ProductEvents.created, (event) =>
      record(
        event,
        event.data.createdBy,
        (who) =>
          `${who} created product ${event.data.productId} "${event.data.name}" at ${event.data.price}`,
      ),
    )
    .on(ProductEvents.updated, (event) =>
      record(
        event,
        event.data.updatedBy,
        (who) =>
          `${who} updated product ${event.data.productId}: ${Object.keys(event.data.changes).join(', ')}`,
      ),
    )
    .on(ProductEvents.stockUpdated, (event) =>
      record(event, event.data.updatedBy, (who) => {
        const { productId, oldQuantity, newQuantity, reason } = event.data;
        return `${who} set the stock of product ${productId}: ${oldQuantity} → ${newQuantity}${reason === undefined ? '' : ` (${reason})`}`;
      }),
    );
  subscriber.events.on('handler-failed', ({ event, error, final }) => {
    logger.error(
      { type: event.type, eventId: event.id, final, err: error },
      'notification handler failed',
    );
  });

  const app = await createHttpApp({
    title: 'notifications-service',
    description: 'Turns user and product events into notifications, enriched with user info.',
    logger,
  });
  registerHealthRoutes(app, {
    service: 'notifications',
    registry,
    dependencies: ['auth'],
    bus,
    subscribers: [subscriber],
  });
  app.get(
    '/notifications',
    {
      schema: {
        tags: ['notifications'],
        summary: 'Notifications recorded, oldest first',
        querystring: z.object({
          correlationId: z.string().optional(),
          type: z.string().optional(),
        }),
        response: { 200: z.object({ notifications: z.array(Notification) }) },
      },
    },
    (request) => ({ notifications: log.list(request.query) }),
  );

  await subscriber.start();
  let listening: { readonly url: string; readonly port: number };
  try {
    listening = await listen(
      app,
      options.port ?? NOTIFICATIONS_DEFAULT_PORT,
      options.host ?? '127.0.0.1',
    );
  } catch (error) {
    await subscriber.stop();
    if (owned) await bus.close();
    await auth.close();
    throw error;
  }
  const { url, port } = listening;
  let instance: ServiceInstance | undefined;
  if (options.selfRegister === true) {
    instance = registry.register({ name: 'notifications', baseUrl: url, healthPath: '/health' });
  }
  return {
    url,
    port,
    close: once(async () => {
      if (instance !== undefined) registry.deregister(instance.id);
      await app.close();
      await subscriber.stop({ drain: true });
      await auth.close();
      if (owned) await bus.close();
    }),
  };
}
