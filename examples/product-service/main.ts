// The product service as a process: configuration from the environment only.
//   PORT (8003), HOST (127.0.0.1), SWITCHBOARD_SERVICE_AUTH_URL (http://127.0.0.1:8001/api/v1),
//   REDIS_URL (events over Redis Streams, under SWITCHBOARD_PREFIX, default "switchboard";
//   without it, events stay in this process),
//   PRODUCT_USER_CACHE_TTL_MS (30000; 0 asks the auth service on every read),
//   and the registry's SWITCHBOARD_BREAKER_* / SWITCHBOARD_HEALTH_INTERVAL_MS (shared/registry.ts)
import { jsonLogger } from '../shared/logger.js';
import { registryFromEnv } from '../shared/registry.js';
import { portFromEnv, runService } from '../shared/run-service.js';
import { transportFromEnv } from '../shared/transport.js';
import { PRODUCT_DEFAULT_PORT, createProductService } from './product-service.js';

const env = process.env;
const logger = jsonLogger('product-service');
const cacheTtl = env['PRODUCT_USER_CACHE_TTL_MS'];
const userCacheTtlMs = cacheTtl === undefined || cacheTtl === '' ? undefined : Number(cacheTtl);
if (
  userCacheTtlMs !== undefined &&
  !(Number.isSafeInteger(userCacheTtlMs) && userCacheTtlMs >= 0)
) {
  throw new RangeError(
    `PRODUCT_USER_CACHE_TTL_MS must be an integer ≥ 0, got "${String(cacheTtl)}"`,
  );
}
const transport = transportFromEnv(env, logger);
const { registry, selfRegister } = registryFromEnv(env, logger);

await runService({
  name: 'product-service',
  logger,
  start: () =>
    createProductService({
      port: portFromEnv(env, PRODUCT_DEFAULT_PORT),
      host: env['HOST'] ?? '127.0.0.1',
      transport,
      registry,
      selfRegister,
      logger,
      ...(userCacheTtlMs === undefined ? {} : { userCacheTtlMs }),
    }),
  cleanup: async () => {
    await registry.close();
    await transport.close();
  },
});
