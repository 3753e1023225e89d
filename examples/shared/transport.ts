import { hostname } from 'node:os';
import {
  memoryTransport,
  redisTransport,
  silentLogger,
  type EventTransport,
  type Logger,
} from 'switchboard';

type Env = Readonly<Record<string, string | undefined>>;

/** The key prefix of the services' events when `SWITCHBOARD_PREFIX` is not set. */
export const DEFAULT_PREFIX = 'switchboard';

/**
 * The event transport of every example service, chosen from the environment;
 * the one place that decides it (services and the demo only see an
 * `EventTransport`):
 * - `REDIS_URL` set: Redis Streams, durable and shared by every process that
 *   uses the same `SWITCHBOARD_PREFIX` (default {@link DEFAULT_PREFIX});
 * - otherwise the in-memory transport: events stay inside the process, which
 *   is what `npm run demo` (three services in one process) needs.
 */
export function transportFromEnv(
  env: Env = process.env,
  logger: Logger = silentLogger,
): EventTransport {
  const url = nonEmpty(env['REDIS_URL']);
  if (url === undefined) return memoryTransport({ logger });
  return redisTransport({ url, prefix: prefixFromEnv(env), logger });
}

/** `SWITCHBOARD_PREFIX`, or {@link DEFAULT_PREFIX}: the namespace of the services' Redis keys. */
export function prefixFromEnv(env: Env = process.env): string {
  return nonEmpty(env['SWITCHBOARD_PREFIX']) ?? DEFAULT_PREFIX;
}

/**
 * This process's consumer name in its group: `SWITCHBOARD_CONSUMER`, or
 * `<hostname>-<pid>`. A restarted process that comes back under the same name
 * first takes back the events it held when it died, without waiting for
 * another consumer to claim them; in a container (pid 1, a stable hostname)
 * the default is stable by itself.
 */
export function consumerFromEnv(env: Env = process.env): string {
  return nonEmpty(env['SWITCHBOARD_CONSUMER']) ?? `${hostname()}-${process.pid}`;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
