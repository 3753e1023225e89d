import { ServiceRegistry, redisRegistryStore, silentLogger, type Logger } from 'switchboard';

/** The auth service's default address: the demo's and `main.ts`'s. */
export const DEFAULT_AUTH_URL = 'http://127.0.0.1:8001/api/v1';

/**
 * The registry of an example service, from the environment:
 * - with `REDIS_URL`, instances are discovered through Redis (each service
 *   announces itself, so `selfRegister` is true);
 * - otherwise a static map from `SWITCHBOARD_SERVICE_<NAME>_URL` variables,
 *   the auth service defaulting to {@link DEFAULT_AUTH_URL} with health
 *   checks on `/health`.
 */
export function registryFromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
  logger: Logger = silentLogger,
): { readonly registry: ServiceRegistry; readonly selfRegister: boolean } {
  const redisUrl = env['REDIS_URL'];
  if (redisUrl !== undefined && redisUrl !== '') {
    const prefix = env['SWITCHBOARD_REGISTRY_PREFIX'] ?? 'switchboard-examples';
    const store = redisRegistryStore(redisUrl, { prefix });
    return { registry: new ServiceRegistry({ store, logger }), selfRegister: true };
  }
  const defaults = {
    SWITCHBOARD_SERVICE_AUTH_URL: DEFAULT_AUTH_URL,
    SWITCHBOARD_SERVICE_AUTH_HEALTH_PATH: '/health',
  };
  return {
    registry: ServiceRegistry.fromEnv({ ...defaults, ...env }, { logger }),
    selfRegister: false,
  };
}
