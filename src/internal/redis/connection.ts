import {
  Cluster,
  Redis,
  type ClusterNode,
  type ClusterOptions,
  type RedisOptions,
  type SentinelAddress,
} from 'ioredis';
import { invalidOption } from '../options.js';
import { withDeadline } from './deadline.js';
import { scrubRedisError } from './scrub-error.js';

/** A Redis Cluster to connect to: some of its nodes, and ioredis' `Cluster` options. */
export type RedisClusterConnection = {
  readonly cluster: {
    /** Startup nodes (`{ host, port }` or `'redis://host:port'`); ioredis finds the rest. */
    readonly nodes: readonly ClusterNode[];
    readonly options?: ClusterOptions;
  };
};

/** Redis behind Sentinel: ioredis asks the sentinels for the master `name` and follows its failovers. */
export type RedisSentinelConnection = {
  readonly sentinel: {
    readonly sentinels: readonly Partial<SentinelAddress>[];
    /** The master's name in the sentinels' configuration. */
    readonly name: string;
    /** Options of the connections to the master (password, TLS, …). */
    readonly options?: RedisOptions;
  };
};

/**
 * How to reach Redis: a `redis://` URL, ioredis options, a cluster or a
 * sentinel setup, or a client you already have (`Redis` or `Cluster`). The
 * library quits only the connections it created itself: yours stays open
 * after `close()`.
 *
 * @example
 * import { redisRegistryStore } from 'switchboard';
 * const store = redisRegistryStore('redis://127.0.0.1:6379');
 */
export type RedisConnection =
  Redis | Cluster | string | RedisOptions | RedisClusterConnection | RedisSentinelConnection;

/** A connected ioredis client of either kind. */
export type RedisClient = Redis | Cluster;

/** A client and whether we created it (and so must quit it). */
export type OwnedClient = { readonly client: RedisClient; readonly owned: boolean };

/**
 * Turns a {@link RedisConnection} into a client. Clients we create get an
 * `'error'` listener (ioredis reports every failed reconnect there), which
 * hands `onError` the error without its command's arguments (the password,
 * among others; see `scrubRedisError`).
 */
export function openConnection(
  connection: RedisConnection,
  onError: (error: Error) => void,
): OwnedClient {
  if (isClient(connection)) return { client: connection, owned: false };
  // Plain JavaScript callers can pass anything: check before connecting.
  const value: unknown = connection;
  let client: RedisClient;
  if (typeof value === 'object' && value !== null && 'cluster' in value) {
    client = clusterClient((value as RedisClusterConnection).cluster);
  } else if (typeof value === 'object' && value !== null && 'sentinel' in value) {
    client = sentinelClient((value as RedisSentinelConnection).sentinel);
  } else if (typeof value === 'string') {
    if (value === '') invalidOption('redis', 'expected a URL, got an empty string');
    client = new Redis(value);
  } else if (typeof value === 'object' && value !== null) {
    // Copied, never mutated; `replyMapping: undefined` is dropped (ioredis types refuse it).
    const { replyMapping, ...rest } = value as RedisOptions;
    client = new Redis(replyMapping === undefined ? rest : { ...rest, replyMapping });
  } else {
    invalidOption(
      'redis',
      `expected a URL, options or an ioredis client, got ${typeof value}`,
      TypeError,
    );
  }
  client.on('error', (error: Error) => {
    onError(scrubRedisError(error));
  });
  return { client, owned: true };
}

function clusterClient(spec: RedisClusterConnection['cluster']): Cluster {
  if (!Array.isArray(spec.nodes) || spec.nodes.length === 0) {
    invalidOption('cluster.nodes', 'expected at least one startup node', TypeError);
  }
  // Copied, never mutated; ioredis' types refuse an explicit `undefined` here and there.
  return new Cluster(
    spec.nodes.slice() as ClusterNode[],
    { ...spec.options } as ConstructorParameters<typeof Cluster>[1],
  );
}

function sentinelClient(spec: RedisSentinelConnection['sentinel']): Redis {
  if (!Array.isArray(spec.sentinels) || spec.sentinels.length === 0) {
    invalidOption('sentinel.sentinels', 'expected at least one sentinel', TypeError);
  }
  if (typeof spec.name !== 'string' || spec.name === '') {
    invalidOption('sentinel.name', "expected the master's name", TypeError);
  }
  const sentinels = spec.sentinels.slice() as Partial<SentinelAddress>[];
  const options = { ...spec.options, sentinels, name: spec.name };
  return new Redis(options as RedisOptions & { replyMapping?: never });
}

/** A new connection with `client`'s options, for SUBSCRIBE (which takes a connection over). */
export function duplicateClient(client: RedisClient, onError: (error: Error) => void): RedisClient {
  const copy: RedisClient = client instanceof Cluster ? client.duplicate() : client.duplicate();
  copy.on('error', (error: Error) => {
    onError(scrubRedisError(error));
  });
  return copy;
}

/**
 * QUIT, bounded by `timeoutMs`, then drop the socket whatever happened: a
 * client that cannot reach Redis must not hold `close()` for ever. A client
 * that is not connected (never was, or Redis is down between reconnect
 * attempts) is ended at once: QUIT would only wait for a connection.
 */
export async function closeConnection(client: RedisClient, timeoutMs: number): Promise<void> {
  const status = statusOf(client);
  if (status === 'end') return;
  if (status !== 'ready') {
    endConnection(client);
    return;
  }
  try {
    await withDeadline(client.quit(), timeoutMs, 'QUIT');
  } catch {
    // Best effort: the disconnect below ends the connection either way.
  } finally {
    if (statusOf(client) !== 'end') endConnection(client);
  }
}

/**
 * `disconnect()`, without the timer ioredis would leave behind. Its connector
 * ends the socket and arms a `disconnectTimeout` (2 s) timer that only the
 * socket's `'close'` event clears; between reconnect attempts that socket has
 * already closed, so the timer would hold the process for 2 s after
 * `close()`. A dead socket is forgotten first (the connector's own field:
 * should a later ioredis rename it, the tests that count timers after
 * `close()` catch it).
 */
export function endConnection(client: RedisClient): void {
  // Typed as always there; undefined on a lazy client that never connected.
  const socket =
    client instanceof Redis ? (client.stream as { destroyed: boolean } | undefined) : undefined;
  if (socket?.destroyed === true) {
    const connector = (client as unknown as { connector?: { stream?: unknown } }).connector;
    if (connector !== undefined && connector.stream === socket) connector.stream = undefined;
  }
  client.disconnect();
}

// A function, so TypeScript does not keep a narrowed status across the await.
function statusOf(client: RedisClient): string {
  return client.status;
}

function isClient(value: unknown): value is RedisClient {
  if (value instanceof Redis || value instanceof Cluster) return true;
  // Another copy of ioredis (a bundler or `npm link` mistake) fails instanceof.
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { duplicate?: unknown }).duplicate === 'function' &&
    typeof (value as { eval?: unknown }).eval === 'function'
  );
}
