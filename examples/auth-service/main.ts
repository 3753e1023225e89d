// The auth service as a process: configuration from the environment only.
//   PORT (8001), HOST (127.0.0.1), REDIS_URL (discovery; events once the Redis transport lands),
//   AUTH_ADMIN_EMAIL + AUTH_ADMIN_PASSWORD (an administrator created at start),
//   AUTH_CLIENTS ("notifications-service:<secret>,…": services allowed client credentials),
//   AUTH_TOKEN_TTL_SECONDS (900)
import { jsonLogger } from '../shared/logger.js';
import { registryFromEnv } from '../shared/registry.js';
import { portFromEnv, runService } from '../shared/run-service.js';
import { transportFromEnv } from '../shared/transport.js';
import { AUTH_DEFAULT_PORT, createAuthService } from './auth-service.js';

const env = process.env;
const logger = jsonLogger('auth-service');
const transport = transportFromEnv(env, logger);
const { registry, selfRegister } = registryFromEnv(env, logger);

const adminEmail = env['AUTH_ADMIN_EMAIL'];
const adminPassword = env['AUTH_ADMIN_PASSWORD'];
if (adminEmail === undefined || adminPassword === undefined) {
  logger.warn({}, 'no AUTH_ADMIN_EMAIL/AUTH_ADMIN_PASSWORD: nobody can grant roles');
}

await runService({
  name: 'auth-service',
  logger,
  start: () =>
    createAuthService({
      port: portFromEnv(env, AUTH_DEFAULT_PORT),
      host: env['HOST'] ?? '127.0.0.1',
      transport,
      registry,
      selfRegister,
      logger,
      clients: parseClients(env['AUTH_CLIENTS'] ?? ''),
      tokenTtlSeconds: Number(env['AUTH_TOKEN_TTL_SECONDS'] ?? 900),
      ...(adminEmail === undefined || adminPassword === undefined
        ? {}
        : { admin: { email: adminEmail, password: adminPassword } }),
    }),
  cleanup: async () => {
    await registry.close();
    await transport.close();
  },
});

function parseClients(value: string): Record<string, string> {
  const clients: Record<string, string> = {};
  for (const entry of value.split(',')) {
    const at = entry.indexOf(':');
    if (at > 0) clients[entry.slice(0, at).trim()] = entry.slice(at + 1).trim();
  }
  return clients;
}
