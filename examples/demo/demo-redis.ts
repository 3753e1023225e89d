import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { startRedisServer } from 'switchboard/testing';

/** `--redis` without `REDIS_URL` and without a `redis-server` to start. */
export class RedisMissingError extends Error {
  override readonly name = 'RedisMissingError';
}

/** The Redis of a `--redis` run, and the key prefix its services share. */
export type DemoRedis = {
  readonly url: string;
  readonly prefix: string;
  /** Where it comes from, for the timeline's header. */
  readonly label: string;
  /** The demo's own connection: it looks at the notifications group's pending entries. */
  readonly client: Redis;
  /** Disconnects, and stops the private server or deletes the run's keys. Idempotent. */
  close(): Promise<void>;
};

/**
 * `REDIS_URL` if set (checked with a PING), else a private `redis-server` on a
 * free loopback port with its own temporary directory (`startRedisServer`
 * from `switchboard/testing`), stopped by `close()`. The prefix is
 * `SWITCHBOARD_PREFIX`, or a new `switchboard-demo-<random>` whose keys
 * `close()` deletes from a server that is not the demo's own.
 *
 * @throws {@link RedisMissingError} when there is neither `REDIS_URL` nor a `redis-server`.
 */
export async function demoRedis(
  env: Readonly<Record<string, string | undefined>>,
): Promise<DemoRedis> {
  const given = env['SWITCHBOARD_PREFIX'];
  const prefix =
    given === undefined || given === ''
      ? `switchboard-demo-${randomBytes(4).toString('hex')}`
      : given;
  const url = env['REDIS_URL'];
  if (url !== undefined && url !== '') {
    const client = await connect(url);
    let closing: Promise<void> | undefined;
    return {
      url,
      prefix,
      label: `from REDIS_URL; key prefix ${prefix}`,
      client,
      close: () =>
        (closing ??= (async () => {
          // Only a prefix of our own: a given one may hold someone else's keys.
          if (prefix !== given) await deleteKeys(client, prefix).catch(() => undefined);
          client.disconnect();
        })()),
    };
  }

  let server;
  try {
    server = await startRedisServer();
  } catch (error) {
    if ((error as { cause?: { code?: unknown } }).cause?.code === 'ENOENT') {
      throw new RedisMissingError(
        [
          '`npm run demo -- --redis` needs Redis, and `redis-server` is not on PATH.',
          'Install it (Debian/Ubuntu: `sudo apt-get install -y redis-server`; macOS: `brew install redis`),',
          'or point the demo at a Redis you have: REDIS_URL=redis://127.0.0.1:6379 npm run demo -- --redis',
          '(`npm run demo` without --redis needs nothing.)',
        ].join('\n'),
        { cause: error },
      );
    }
    throw error;
  }
  const client = await connect(server.url).catch(async (error: unknown) => {
    await server.stop();
    throw error;
  });
  let closing: Promise<void> | undefined;
  return {
    url: server.url,
    prefix,
    label: `a redis-server started for this run, pid ${server.pid}; key prefix ${prefix}`,
    client,
    close: () =>
      (closing ??= (async () => {
        client.disconnect();
        await server.stop();
      })()),
  };
}

async function connect(url: string): Promise<Redis> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 3_000,
    maxRetriesPerRequest: 1,
  });
  client.on('error', () => {
    // Reported by the command that fails.
  });
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    client.disconnect();
    throw new Error(`Redis at ${url} does not answer`, { cause: error });
  }
  return client;
}

async function deleteKeys(client: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
    if (keys.length > 0) await client.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
}
