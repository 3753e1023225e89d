import { memoryTransport, silentLogger, type EventTransport, type Logger } from 'switchboard';

/**
 * The event transport of every example service, chosen from the environment.
 * The one place that decides it: services and the demo only see an
 * `EventTransport`.
 *
 * Today it is always the in-memory transport, so events stay inside the
 * process: right for `npm run demo`, where the three services share one
 * process. The Redis Streams transport is not in the library yet; when it is,
 * `REDIS_URL` selects it here, and the warning below becomes
 * `return redisTransport({ url, logger });` (plus its import).
 */
export function transportFromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
  logger: Logger = silentLogger,
): EventTransport {
  const url = env['REDIS_URL'];
  if (url !== undefined && url !== '') {
    logger.warn(
      {},
      'REDIS_URL is set but the Redis Streams event transport is not available yet: events stay inside this process',
    );
  }
  return memoryTransport({ logger });
}
