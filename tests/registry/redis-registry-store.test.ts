import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createServer, type Server, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Cluster, Redis } from 'ioredis';
import { afterEach, describe, expect, inject, it } from 'vitest';
import {
  RegistryStoreError,
  isAbortError,
  isSwitchboardError,
  redisRegistryStore,
  type InstanceRecord,
  type Logger,
  type RedisConnection,
  type RedisRegistryStoreOptions,
  type RegistryStore,
} from 'switchboard';
import { startRedisServer, type RedisServer } from 'switchboard/testing';

const url = inject('redisUrl');
const FIXTURE = fileURLToPath(new URL('./fixtures/announce-child.ts', import.meta.url));
// Scheduling slack on top of the bounds the store promises (ttlMs + pollMs).
const SLACK_MS = 250;

// Everything a test opens, closed after it whatever happened.
const stores: RegistryStore[] = [];
const clients: (Redis | Cluster)[] = [];
const servers: { stop(): Promise<void> }[] = [];
const children: ChildProcess[] = [];
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  await Promise.all(stores.splice(0).map((store) => store.close()));
  for (const cleanup of cleanups.splice(0)) await cleanup();
  for (const client of clients.splice(0)) client.disconnect();
  await Promise.all(servers.splice(0).map((server) => server.stop()));
});

/** A fresh prefix on the shared Redis; its two keys are deleted after the test. */
function uniquePrefix(): string {
  const prefix = `test:${randomUUID()}`;
  cleanups.push(async () => {
    const redis = client(url);
    await redis.del(...Object.values(keysOf(prefix)).slice(0, 2));
  });
  return prefix;
}

function keysOf(prefix: string): { instances: string; expiry: string; channel: string } {
  return {
    instances: `${prefix}:{registry}:instances`,
    expiry: `${prefix}:{registry}:expiry`,
    channel: `${prefix}:{registry}:changes`,
  };
}

function client(target: string): Redis {
  const redis = new Redis(target, { maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  clients.push(redis);
  return redis;
}

function store(connection: RedisConnection, options: RedisRegistryStoreOptions): RegistryStore {
  const created = redisRegistryStore(connection, options);
  stores.push(created);
  return created;
}

async function privateRedis(
  options: Parameters<typeof startRedisServer>[0] = {},
): Promise<RedisServer> {
  const server = await startRedisServer(options);
  servers.push(server);
  return server;
}

function record(id: string, extra: Partial<InstanceRecord> = {}): InstanceRecord {
  return { id, name: 'auth', baseUrl: `http://127.0.0.1:8001/${id}`, metadata: {}, ...extra };
}

/** Polls `predicate` every 10 ms; fails with `what` after `timeoutMs`. */
async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await predicate()) return;
    if (Date.now() > deadline)
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Every set a watcher was given, in order. */
type View = {
  readonly calls: (readonly InstanceRecord[])[];
  ids(): string[] | undefined;
  has(id: string): boolean;
  stop(): void;
};

function view(of: RegistryStore): View {
  const calls: (readonly InstanceRecord[])[] = [];
  const stop = of.watch((records) => calls.push(records));
  const ids = (): string[] | undefined => calls.at(-1)?.map((r) => r.id);
  return { calls, ids, has: (id) => ids()?.includes(id) === true, stop };
}

type LogEntry = {
  level: keyof Logger;
  context: Record<string, unknown>;
  message: string | undefined;
};

function recordingLogger(): { logger: Logger; entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const at =
    (level: keyof Logger) =>
    (context: Record<string, unknown>, message?: string): void => {
      entries.push({ level, context, message });
    };
  return {
    entries,
    logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') },
  };
}

async function connectionCount(redis: Redis): Promise<number> {
  const list = (await redis.client('LIST')) as string;
  return list.trim().split('\n').length;
}

describe('redisRegistryStore: discovery across stores', () => {
  it('shows an instance announced by another store at once, through pub/sub', async () => {
    const prefix = uniquePrefix();
    // pollMs is far away: only a notification can make the instance appear in time.
    const slow = { prefix, ttlMs: 30_000, pollMs: 10_000 };
    const watcher = view(store(url, slow));
    await waitFor(() => watcher.calls.length === 1, 2_000, 'the initial call');
    expect(watcher.calls[0]).toEqual([]);

    const announced = record('auth-1', { healthPath: '/health', metadata: { zone: 'a', az: '1' } });
    const startedAt = Date.now();
    await store(url, slow).announce(announced);
    await waitFor(() => watcher.has('auth-1'), 500, 'the announced instance');
    expect(Date.now() - startedAt).toBeLessThan(500);
    expect(watcher.calls.at(-1)).toEqual([announced]);
  });

  it('removes a withdrawn instance at once, well under pollMs', async () => {
    const prefix = uniquePrefix();
    const slow = { prefix, ttlMs: 30_000, pollMs: 10_000 };
    const owner = store(url, slow);
    await owner.announce(record('auth-1'));
    await owner.announce(record('auth-2'));
    const watcher = view(store(url, slow));
    await waitFor(() => watcher.has('auth-1') && watcher.has('auth-2'), 2_000, 'both instances');

    const startedAt = Date.now();
    await owner.withdraw('auth-1');
    await waitFor(() => !watcher.has('auth-1'), 500, 'the withdrawn instance to vanish');
    expect(Date.now() - startedAt).toBeLessThan(500);
    expect(watcher.ids()).toEqual(['auth-2']);
  });

  it('removes every local instance at once on close()', async () => {
    const prefix = uniquePrefix();
    const slow = { prefix, ttlMs: 30_000, pollMs: 10_000 };
    const owner = store(url, slow);
    await owner.announce(record('auth-1'));
    await owner.announce(record('auth-2'));
    const watcher = view(store(url, slow));
    await waitFor(() => watcher.ids()?.length === 2, 2_000, 'both instances');

    await owner.close();
    await waitFor(() => watcher.ids()?.length === 0, 500, 'the closed store to vanish');
  });

  it('calls a listener once at first, then only when the set changes', async () => {
    const prefix = uniquePrefix();
    const fast = { prefix, ttlMs: 300, pollMs: 50 };
    const owner = store(url, fast);
    await owner.announce(record('auth-1'));
    const reader = store(url, fast);
    const first = view(reader);
    await waitFor(() => first.calls.length === 1, 1_000, 'the initial call');
    // Several polls and heartbeats later: the set did not change, so no call.
    await sleep(400);
    expect(first.calls).toHaveLength(1);

    // A later listener on the same store gets the current set once too.
    const second = view(reader);
    await waitFor(() => second.calls.length === 1, 1_000, 'the second initial call');
    expect(second.calls[0]).toEqual(first.calls[0]);

    await owner.announce(record('auth-1', { metadata: { version: '2' } }));
    await waitFor(() => first.calls.length === 2 && second.calls.length === 2, 1_000, 'the change');
    expect(first.calls[1]?.[0]?.metadata).toEqual({ version: '2' });

    second.stop();
    await owner.withdraw('auth-1');
    await waitFor(() => first.calls.length === 3, 1_000, 'the withdrawal');
    expect(second.calls).toHaveLength(2);
  });
});

describe('redisRegistryStore: crashes and outages', () => {
  it('drops the instance of a store whose process stopped, within ttlMs + pollMs', async () => {
    const prefix = uniquePrefix();
    const ttlMs = 300;
    const pollMs = 100;
    const heartbeatMs = 100;
    const doomedClient = client(url);
    const { logger, entries } = recordingLogger();
    const doomed = store(doomedClient, { prefix, ttlMs, heartbeatMs, logger });
    await doomed.announce(record('doomed'));
    const watcher = view(store(url, { prefix, ttlMs, pollMs }));
    await waitFor(() => watcher.has('doomed'), 1_000, 'the instance');

    // Abruptly, as a crash would: no withdraw, heartbeats can no longer reach Redis.
    doomedClient.disconnect();
    const crashedAt = Date.now();
    await waitFor(() => !watcher.has('doomed'), ttlMs + pollMs + SLACK_MS, 'the expiry');
    // It expired (its last heartbeat was at most heartbeatMs before the crash); it was not withdrawn.
    expect(Date.now() - crashedAt).toBeGreaterThanOrEqual(ttlMs - heartbeatMs - 20);
    // The failing heartbeat was logged once as an outage, not thrown.
    expect(
      entries.filter((e) => e.level === 'warn' && /heartbeat/.test(e.message ?? '')),
    ).toHaveLength(1);
  });

  it('sees another process announce, and sees it vanish after SIGKILL within ttlMs + pollMs', async () => {
    const prefix = uniquePrefix();
    const ttlMs = 300;
    const pollMs = 100;
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', FIXTURE, url, prefix, 'child-1', String(ttlMs)],
      {
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    children.push(child);
    await new Promise<void>((resolve, reject) => {
      let output = '';
      const timer = setTimeout(() => {
        reject(new Error(`the child was not ready within 15 s:\n${output}`));
      }, 15_000);
      const onData = (chunk: Buffer): void => {
        output += chunk.toString();
        if (/^ready$/m.test(output)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the child exited (${code}) before it was ready:\n${output}`));
      });
    });
    const watcher = view(store(url, { prefix, ttlMs, pollMs }));
    await waitFor(() => watcher.has('child-1'), 1_000, "the child's instance");
    expect(watcher.calls.at(-1)?.[0]?.metadata).toEqual({ pid: String(child.pid) });

    const exited = new Promise<NodeJS.Signals | null>((resolve) => {
      child.once('exit', (_code, signal) => {
        resolve(signal);
      });
    });
    expect(child.pid).toBeTypeOf('number');
    process.kill(child.pid ?? 0, 'SIGKILL');
    const killedAt = Date.now();
    expect(await exited).toBe('SIGKILL');
    await waitFor(() => !watcher.has('child-1'), ttlMs + pollMs + SLACK_MS, 'the expiry');
    expect(Date.now() - killedAt).toBeGreaterThanOrEqual(ttlMs / 3);
  });

  it('re-announces local instances when Redis restarts without persistence', async () => {
    const server = await privateRedis();
    const options = { prefix: 'restart', ttlMs: 300, pollMs: 100 };
    const owner = store(server.url, options);
    await owner.announce(record('survivor'));
    const watcher = view(store(server.url, options));
    await waitFor(() => watcher.has('survivor'), 1_000, 'the instance');

    await server.restart();
    const raw = client(server.url);
    // Only a heartbeat that rewrites the record (not just its expiry) brings it back.
    await waitFor(
      async () => (await raw.hget('restart:{registry}:instances', 'survivor')) !== null,
      5_000,
      'the heartbeat to restore the record',
    );
    await waitFor(() => watcher.has('survivor'), 2_000, 'the watcher to see it again');
    expect(watcher.calls.at(-1)).toEqual([record('survivor')]);
  });

  it('skips malformed records, logging each once, and never throws them at the listener', async () => {
    const prefix = uniquePrefix();
    const keys = keysOf(prefix);
    const raw = client(url);
    const bad = {
      'bad-json': '{not json',
      'bad-shape': JSON.stringify({ id: 'bad-shape', name: 42, baseUrl: 'http://h/' }),
      'bad-id': JSON.stringify(record('someone-else')),
      'bad-url': JSON.stringify(record('bad-url', { baseUrl: 'http://user:secret@h/' })),
      'bad-scheme': JSON.stringify(record('bad-scheme', { baseUrl: 'file:///etc/passwd' })),
    };
    const farFuture = Date.now() + 60_000;
    for (const [id, raw_] of Object.entries(bad)) {
      await raw.hset(keys.instances, id, raw_);
      await raw.zadd(keys.expiry, farFuture, id);
    }
    await store(url, { prefix, ttlMs: 300 }).announce(record('good'));

    const { logger, entries } = recordingLogger();
    const watcher = view(store(url, { prefix, ttlMs: 300, pollMs: 50, logger }));
    await waitFor(() => watcher.calls.length === 1, 1_000, 'the initial call');
    expect(watcher.ids()).toEqual(['good']);
    await sleep(250); // several polls
    const warned = entries.filter((e) => e.level === 'warn').map((e) => e.context['id']);
    expect(warned.sort()).toEqual(Object.keys(bad).sort());
    expect(watcher.calls).toHaveLength(1);
  });
});

describe('redisRegistryStore: connections and close()', () => {
  it('leaves a client it was given open and quits only its own subscriber', async () => {
    const server = await privateRedis();
    const mine = new Redis(server.url);
    clients.push(mine);
    const prefix = 'owned';
    const given = store(mine, { prefix, ttlMs: 300 });
    await given.announce(record('auth-1'));
    const watcher = view(given);
    await waitFor(() => watcher.has('auth-1'), 1_000, 'the instance');
    expect(await connectionCount(mine)).toBe(2); // mine + the store's subscriber

    const closing = given.close();
    expect(given.close()).toBe(closing); // idempotent: one memoised promise
    await closing;

    expect(await mine.ping()).toBe('PONG');
    expect(await connectionCount(mine)).toBe(1);
    expect(await mine.pubsub('NUMSUB', keysOf(prefix).channel)).toEqual([
      keysOf(prefix).channel,
      0,
    ]);
    expect(await mine.hlen(keysOf(prefix).instances)).toBe(0);

    // Nothing keeps running: no command reaches this server from the closed
    // store over many heartbeat and poll periods, even when the set changes.
    const sent: string[] = [];
    const onCommand = (message: unknown): void => {
      const { command, serverPort } = message as {
        command: string;
        serverPort: number | undefined;
      };
      if (serverPort === server.port) sent.push(command);
    };
    subscribe('tracing:ioredis:command:start', onCommand);
    try {
      await sleep(700);
    } finally {
      unsubscribe('tracing:ioredis:command:start', onCommand);
    }
    expect(sent).toEqual([]);
    const calls = watcher.calls.length;
    await mine.hset(keysOf(prefix).instances, 'late', JSON.stringify(record('late')));
    await mine.zadd(keysOf(prefix).expiry, Date.now() + 60_000, 'late');
    await mine.publish(keysOf(prefix).channel, 'changed');
    await sleep(100);
    expect(watcher.calls).toHaveLength(calls);
  });

  it('quits both of its connections when it created the client from a URL', async () => {
    const server = await privateRedis();
    const checker = client(server.url);
    const owned = store(server.url, { prefix: 'url', ttlMs: 300 });
    await owned.announce(record('auth-1'));
    const watcher = view(owned);
    await waitFor(() => watcher.has('auth-1'), 1_000, 'the instance');
    expect(await connectionCount(checker)).toBe(3);

    await owned.close();
    await waitFor(
      async () => (await connectionCount(checker)) === 1,
      1_000,
      'only the checker to remain',
    );
  });

  it('works on Redis Cluster (hash-tagged keys, subscriber from Cluster#duplicate)', async () => {
    const server = await privateRedis({
      // Without an announced IP, CLUSTER SLOTS gives an empty host and ioredis cannot route.
      args: [
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        'nodes.conf',
        '--cluster-announce-ip',
        '127.0.0.1',
      ],
    });
    const admin = client(server.url);
    await admin.call('CLUSTER', 'ADDSLOTSRANGE', '0', '16383');
    await waitFor(
      async () => /cluster_state:ok/.test((await admin.call('CLUSTER', 'INFO')) as string),
      5_000,
      'the cluster',
    );
    const cluster = (): Cluster => {
      const created = new Cluster([{ host: '127.0.0.1', port: server.port }]);
      created.on('error', () => undefined);
      clients.push(created);
      return created;
    };
    const options = { prefix: 'cluster', ttlMs: 30_000, pollMs: 10_000 };
    const owner = store(cluster(), options);
    const watcher = view(store(cluster(), options));
    await waitFor(() => watcher.calls.length === 1, 2_000, 'the initial call');

    await owner.announce(record('auth-1'));
    await waitFor(() => watcher.has('auth-1'), 1_000, 'the instance');
    await owner.withdraw('auth-1');
    await waitFor(() => watcher.ids()?.length === 0, 1_000, 'the withdrawal');
  });
});

describe('redisRegistryStore: options and errors', () => {
  it('validates options eagerly, naming the option, and never mutates them', () => {
    const invalid = (options: RedisRegistryStoreOptions, connection: unknown = url): unknown => {
      try {
        redisRegistryStore(connection as RedisConnection, options);
      } catch (error) {
        return error;
      }
      throw new Error('expected the options to be refused');
    };
    expect(invalid({ ttlMs: 300, heartbeatMs: 300 })).toMatchObject({
      name: 'RangeError',
      code: 'ERR_SWITCHBOARD_INVALID_OPTION',
      option: 'heartbeatMs',
    });
    expect(invalid({ ttlMs: '300' as unknown as number })).toMatchObject({
      name: 'TypeError',
      option: 'ttlMs',
    });
    expect(invalid({ pollMs: 0 })).toMatchObject({ name: 'RangeError', option: 'pollMs' });
    expect(invalid({ prefix: '' })).toMatchObject({ name: 'TypeError', option: 'prefix' });
    expect(invalid({ logger: {} as Logger })).toMatchObject({ option: 'logger.debug' });
    expect(invalid({}, 42)).toMatchObject({ name: 'TypeError', option: 'redis' });

    const frozen = Object.freeze({ prefix: uniquePrefix(), ttlMs: 300 });
    store(url, frozen);
    expect(frozen).toEqual({ prefix: frozen.prefix, ttlMs: 300 });
  });

  it('refuses an aborted signal up front and closes itself when its signal aborts', async () => {
    expect(() => redisRegistryStore(url, { signal: AbortSignal.abort() })).toThrow(
      expect.objectContaining({ code: 'ABORTED' }) as Error,
    );

    const prefix = uniquePrefix();
    const controller = new AbortController();
    const owner = store(url, { prefix, signal: controller.signal });
    await owner.announce(record('auth-1'));
    const watcher = view(store(url, { prefix, pollMs: 10_000 }));
    await waitFor(() => watcher.has('auth-1'), 1_000, 'the instance');
    controller.abort();
    await waitFor(() => !watcher.has('auth-1'), 500, 'the store to close and withdraw');
    await expect(owner.announce(record('auth-2'))).rejects.toMatchObject({
      code: 'REGISTRY_STORE',
      reason: 'closed',
    });
  });

  it('gives typed errors: closed store, aborted call, invalid record', async () => {
    const closed = store(url, { prefix: uniquePrefix() });
    await closed.close();
    const error: unknown = await closed.announce(record('x')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryStoreError);
    expect(isSwitchboardError(error)).toBe(true);
    expect(error).toMatchObject({
      code: 'REGISTRY_STORE',
      operation: 'announce',
      reason: 'closed',
    });
    expect(() => closed.watch(() => undefined)).toThrow(RegistryStoreError);
    await expect(closed.withdraw('x')).resolves.toBeUndefined();

    const open = store(url, { prefix: uniquePrefix() });
    const aborted: unknown = await open
      .announce(record('x'), { signal: AbortSignal.abort() })
      .catch((e: unknown) => e);
    expect(isAbortError(aborted)).toBe(true);
    await expect(open.announce(record('x', { baseUrl: 'ftp://h/' }))).rejects.toMatchObject({
      name: 'RangeError',
      option: 'record.baseUrl',
    });
  });

  it('wraps a Redis failure, and keeps the record so the heartbeat announces it later', async () => {
    const prefix = uniquePrefix();
    // Not connected yet, and no offline queue: the first command fails at once
    // (and starts the connection, which the heartbeat then uses).
    const offline = new Redis(url, { lazyConnect: true, enableOfflineQueue: false });
    offline.on('error', () => undefined);
    clients.push(offline);
    const owner = store(offline, { prefix, ttlMs: 300 });
    const error: unknown = await owner.announce(record('late')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryStoreError);
    expect(error).toMatchObject({ code: 'REGISTRY_STORE', operation: 'announce', reason: 'redis' });
    expect((error as Error).cause).toBeInstanceOf(Error);

    // Only a heartbeat can have written it: the announce itself failed.
    const watcher = view(store(url, { prefix, ttlMs: 300, pollMs: 100 }));
    await waitFor(() => watcher.has('late'), 1_000, 'the heartbeat to announce it');
  });

  it('bounds a call to a Redis that never answers by ttlMs, and close() too', async () => {
    const sockets = new Set<Socket>();
    const blackHole: Server = createServer((socket) => {
      sockets.add(socket); // accept, never answer
    });
    await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          for (const socket of sockets) socket.destroy();
          blackHole.close(() => {
            resolve();
          });
        }),
    );
    const address = blackHole.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const stuck = store(`redis://127.0.0.1:${port}`, { prefix: 'stuck', ttlMs: 300 });

    const startedAt = Date.now();
    const error: unknown = await stuck.announce(record('x')).catch((e: unknown) => e);
    expect(isSwitchboardError(error, 'TIMEOUT')).toBe(true);
    expect(Date.now() - startedAt).toBeLessThan(800);

    const closingAt = Date.now();
    await stuck.close();
    expect(Date.now() - closingAt).toBeLessThan(1_000);
  });
});
