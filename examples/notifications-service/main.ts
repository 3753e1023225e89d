// The notifications service as a process: configuration from the environment only.
//   PORT (8002), HOST (127.0.0.1), SWITCHBOARD_SERVICE_AUTH_URL (http://127.0.0.1:8001/api/v1),
//   REDIS_URL (events over Redis Streams, under SWITCHBOARD_PREFIX, default "switchboard";
//   without it, events stay in this process),
//   SWITCHBOARD_GROUP (notifications): its consumer group, one per subscribing service,
//   SWITCHBOARD_CONSUMER (<hostname>-<pid>): this process's name in the group; a process
//   restarted under the same name takes back at once the events it held when it died,
//   NOTIFICATIONS_CLIENT_ID (notifications-service) + NOTIFICATIONS_CLIENT_SECRET (its
//   credentials at the auth service, listed there in AUTH_CLIENTS; without them, no enrichment),
//   and the registry's SWITCHBOARD_BREAKER_* / SWITCHBOARD_HEALTH_INTERVAL_MS (shared/registry.ts)
import { jsonLogger } from '../shared/logger.js';
import { registryFromEnv } from '../shared/registry.js';
import { portFromEnv, runService } from '../shared/run-service.js';
import { consumerFromEnv, transportFromEnv } from '../shared/transport.js';
import { NOTIFICATIONS_DEFAULT_PORT, createNotificationsService } from './notifications-service.js';

const env = process.env;
const logger = jsonLogger('notifications-service');
const transport = transportFromEnv(env, logger);
const { registry, selfRegister } = registryFromEnv(env, logger);
const group = env['SWITCHBOARD_GROUP'] ?? 'notifications';
const consumer = consumerFromEnv(env);
const clientSecret = env['NOTIFICATIONS_CLIENT_SECRET'];
if (clientSecret === undefined) {
  logger.warn({}, 'no NOTIFICATIONS_CLIENT_SECRET: notifications are not enriched with user info');
}

await runService({
  name: 'notifications-service',
  logger,
  start: async () => {
    const service = await createNotificationsService({
      port: portFromEnv(env, NOTIFICATIONS_DEFAULT_PORT),
      host: env['HOST'] ?? '127.0.0.1',
      transport,
      registry,
      selfRegister,
      logger,
      group,
      consumer,
      ...(clientSecret === undefined
        ? {}
        : {
            credentials: {
              clientId: env['NOTIFICATIONS_CLIENT_ID'] ?? 'notifications-service',
              clientSecret,
            },
          }),
    });
    logger.info({ transport: transport.kind, group, consumer }, 'subscribed');
    return service;
  },
  cleanup: async () => {
    await registry.close();
    await transport.close();
  },
});
