// The product service as a process: configuration from the environment only.
//   PORT (8003), HOST (127.0.0.1), SWITCHBOARD_SERVICE_AUTH_URL (http://127.0.0.1:8001/api/v1),
//   REDIS_URL (discovery; events once the Redis transport lands)
import { jsonLogger } from '../shared/logger.js';
import { registryFromEnv } from '../shared/registry.js';
import { portFromEnv, runService } from '../shared/run-service.js';
import { transportFromEnv } from '../shared/transport.js';
import { PRODUCT_DEFAULT_PORT, createProductService } from './product-service.js';

const env = process.env;
const logger = jsonLogger('product-service');
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
    }),
  cleanup: async () => {
    await registry.close();
    await transport.close();
  },
});
