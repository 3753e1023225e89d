import {
  ServiceRegistry,
  redisRegistryStore,
  silentLogger,
  type Logger,
  type ServiceInstance,
  type ServiceRegistryOptions,
} from 'switchboard';
import { prefixFromEnv } from './transport.js';

type Env = Readonly<Record<string, string | undefined>>;

/** The auth service's default address: the demo's and `main.ts`'s. */
export const DEFAULT_AUTH_URL = 'http://127.0.0.1:8001/api/v1';

const SERVICE_URL = /^SWITCHBOARD_SERVICE_[A-Z0-9_]+_URL$/;

/**
 * The registry of an example service, from the environment:
 * - with `SWITCHBOARD_SERVICE_<NAME>_URL` variables, a static map of them
 *   (explicit addresses win, with or without Redis), the auth service's
 *   health checks on `/health` unless `SWITCHBOARD_SERVICE_AUTH_HEALTH_PATH`
 *   says otherwise;
 * - otherwise, with `REDIS_URL`, instances are discovered through Redis under
 *   `SWITCHBOARD_PREFIX` (each service announces itself, so `selfRegister` is
 *   true);
 * - otherwise the auth service at {@link DEFAULT_AUTH_URL}.
 *
 * Breakers and health checks can be tuned (the demo and the end-to-end tests
 * make them quick): `SWITCHBOARD_BREAKER_FAILURE_THRESHOLD`,
 * `SWITCHBOARD_BREAKER_RESET_TIMEOUT_MS`, `SWITCHBOARD_HEALTH_INTERVAL_MS`
 * (`0` turns background health checks off). Every breaker's transitions are
 * logged (`breaker opened`, `breaker half-open`, `breaker closed`).
 */
export function registryFromEnv(
  env: Env = process.env,
  logger: Logger = silentLogger,
): { readonly registry: ServiceRegistry; readonly selfRegister: boolean } {
  const options = registryOptionsFromEnv(env, logger);
  const redisUrl = env['REDIS_URL'];
  const configured = Object.keys(env).some((key) => SERVICE_URL.test(key));
  let result: { readonly registry: ServiceRegistry; readonly selfRegister: boolean };
  if (!configured && redisUrl !== undefined && redisUrl !== '') {
    const store = redisRegistryStore(redisUrl, { prefix: prefixFromEnv(env), logger });
    result = { registry: new ServiceRegistry({ ...options, store }), selfRegister: true };
  } else {
    const defaults = {
      SWITCHBOARD_SERVICE_AUTH_URL: DEFAULT_AUTH_URL,
      SWITCHBOARD_SERVICE_AUTH_HEALTH_PATH: '/health',
    };
    result = {
      registry: ServiceRegistry.fromEnv({ ...defaults, ...env }, options),
      selfRegister: false,
    };
  }
  logBreakers(result.registry, logger);
  return result;
}

function registryOptionsFromEnv(env: Env, logger: Logger): ServiceRegistryOptions {
  const failureThreshold = intFromEnv(env, 'SWITCHBOARD_BREAKER_FAILURE_THRESHOLD', 1);
  const resetTimeoutMs = intFromEnv(env, 'SWITCHBOARD_BREAKER_RESET_TIMEOUT_MS', 1);
  const intervalMs = intFromEnv(env, 'SWITCHBOARD_HEALTH_INTERVAL_MS', 0);
  return {
    logger,
    breaker: {
      ...(failureThreshold === undefined ? {} : { failureThreshold }),
      ...(resetTimeoutMs === undefined ? {} : { resetTimeoutMs }),
    },
    ...(intervalMs === undefined ? {} : { health: intervalMs === 0 ? false : { intervalMs } }),
  };
}

// Operators want to see a dependency's breaker open and close in the logs.
function logBreakers(registry: ServiceRegistry, logger: Logger): void {
  const watch = (instance: ServiceInstance): void => {
    const { breaker } = instance;
    breaker.on('open', ({ retryAfterMs, isolated }) => {
      logger.warn({ breaker: breaker.name, retryAfterMs, isolated }, 'breaker opened');
    });
    breaker.on('half-open', () => {
      logger.info({ breaker: breaker.name }, 'breaker half-open');
    });
    breaker.on('close', () => {
      logger.info({ breaker: breaker.name }, 'breaker closed');
    });
  };
  for (const name of registry.services()) registry.instances(name).forEach(watch);
  registry.on('registered', ({ instance }) => {
    watch(instance);
  });
}

function intFromEnv(env: Env, name: string, min: number): number | undefined {
  const value = env[name];
  if (value === undefined || value === '') return undefined;
  const number = Number(value);
  if (!Number.isSafeInteger(number) || number < min) {
    throw new RangeError(`${name} must be an integer ≥ ${min}, got "${value}"`);
  }
  return number;
}
