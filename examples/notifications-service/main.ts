// The notifications service as a process: configuration from the environment only.
//   PORT (8002), HOST (127.0.0.1), SWITCHBOARD_SERVICE_AUTH_URL (http://127.0.0.1:8001/api/v1),
//   REDIS_URL (discovery; events once the Redis transport lands),
//   NOTIFICATIONS_CLIENT_ID (notifications-service) + NOTIFICATIONS_CLIENT_SECRET (its
//   credentials at the auth service, listed there in AUTH_CLIENTS; without them, no enrichment)
import { jsonLogger } from '../shared/logger.js';
import { registryFromEnv } from '../shared/registry.js';
import { portFromEnv, runService } from '../shared/run-service.js';
import { transportFromEnv } from '../shared/transport.js';
import { NOTIFICATIONS_DEFAULT_PORT, createNotificationsService } from './notifications-service.js';

const env = process.env;
const logger = jsonLogger('notifications-service');
const transport = transportFromEnv(env, logger);
const { registry, selfRegister } = registryFromEnv(env, logger);
const clientSecret = env['NOTIFICATIONS_CLIENT_SECRET'];
if (clientSecret === undefined) {
  logger.warn({}, 'no NOTIFICATIONS_CLIENT_SECRET: notifications are not enriched with user info');
}

await runService({
  name: 'notifications-service',
  logger,
  start: () =>
    createNotificationsService({
      port: portFromEnv(env, NOTIFICATIONS_DEFAULT_PORT),
      host: env['HOST'] ?? '127.0.0.1',
      transport,
      registry,
      selfRegister,
      logger,
      ...(clientSecret === undefined
        ? {}
        : {
            credentials: {
              clientId: env['NOTIFICATIONS_CLIENT_ID'] ?? 'notifications-service',
              clientSecret,
            },
          }),
    }),
  cleanup: async () => {
    await registry.close();
    await transport.close();
  },
});
