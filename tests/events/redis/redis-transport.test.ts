import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, inject, it } from 'vitest';
import {
  EventBus,
  EventSubscriber,
  UserEvents,
  isSwitchboardError,
  redisTransport,
  type EventTransport,
} from 'switchboard';
import { startRedisServer } from 'switchboard/testing';
import { poisonScenarios } from '../poison-scenarios.js';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy.js';
import { orderSpec, waitFor } from './helpers.js';

const url = inject('redisUrl');

// Malformed, invalid, oversized and __proto__ entries; dedupe: the same
// scenarios as on the memory transport, on real Redis.
poisonScenarios('redis', () =>
  redisTransport({ url, prefix: `poison-${randomUUID()}`, blockMs: 500 }),
);

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A network outage: open connections reset, new ones refused until set back to pass. */
async function cut(proxy: FaultProxy): Promise<void> {
  await proxy.set({ kind: 'refuse' });
  await proxy.resetAll();
}

function open(options: Partial<Parameters<typeof redisTransport>[0]> = {}): EventTransport {
  const transport = redisTransport({
    url,
    prefix: `transport-${randomUUID()}`,
    blockMs: 500,
    ...options,
  });
  closers.push(() => transport.close());
  return transport;
}

function client(redisUrl = url): Redis {
  const redis = new Redis(redisUrl);
  redis.on('error', () => undefined);
  closers.push(() => {
    redis.disconnect();
  });
  return redis;
}

describe('redisTransport: options', () => {
  it('wants exactly one way to reach Redis, and key-safe names', async () => {
    expect(() => redisTransport({})).toThrow(
      /exactly one of `url`, `client`, `cluster`, `sentinel` or `redis`/,
    );
    expect(() => redisTransport({ url, client: new Redis({ lazyConnect: true }) })).toThrow(
      TypeError,
    );
    expect(() => redisTransport({ url, prefix: 'a b' })).toThrow(/prefix/);
    expect(() => redisTransport({ url, maxLen: 0 })).toThrow(RangeError);
    const transport = open();
    await expect(transport.publish('or{ders}', 'x')).rejects.toThrow(
      /cannot be used in a Redis key/,
    );
    await expect(
      transport.subscribe(orderSpec({ start: { afterId: 'yesterday' } }), () => Promise.resolve()),
    ).rejects.toThrow(/Redis stream id/);
  });

  it('leaves a client it was given open, and quits the ones it opened', async () => {
    const mine = client();
    const transport = redisTransport({ client: mine, prefix: `given-${randomUUID()}` });
    await transport.subscribe(orderSpec(), () => Promise.resolve());
    await transport.publish('orders', 'x');
    await transport.close();
    expect(mine.status).toBe('ready');
    expect(await mine.ping()).toBe('PONG');
  });

  it('trims streams to about maxLen when asked, and keeps everything when not', async () => {
    const redis = client();
    const trimmedPrefix = `trim-${randomUUID()}`;
    const keptPrefix = `keep-${randomUUID()}`;
    const trimmed = open({ prefix: trimmedPrefix, maxLen: 10 });
    const kept = open({ prefix: keptPrefix });
    const batch = Array.from({ length: 500 }, (_, index) => ({
      topic: 'orders',
      payload: `${index}`,
    }));
    for (let i = 0; i < 3; i++) {
      await trimmed.publishMany(batch);
      await kept.publishMany(batch);
    }
    expect(await redis.xlen(`${keptPrefix}:events:{orders}`)).toBe(1_500);
    expect(await redis.xlen(`${trimmedPrefix}:events:{orders}`)).toBeLessThan(1_500);
  });
});

describe('redisTransport: writes', () => {
  it('sends the commands of one tick in one socket write, in order', async () => {
    const redis = client();
    await redis.ping();
    const prefix = `writes-${randomUUID()}`;
    const transport = redisTransport({ client: redis, prefix });
    closers.push(() => transport.close());
    const socket = redis.stream as unknown as {
      _write: (...args: unknown[]) => void;
      _writev: (...args: unknown[]) => void;
    };
    let writes = 0;
    for (const method of ['_write', '_writev'] as const) {
      const original = socket[method].bind(socket);
      socket[method] = (...args: unknown[]) => {
        writes += 1;
        original(...args);
      };
    }
    const payloads = Array.from({ length: 50 }, (_, index) => `${index}`);
    const ids = await Promise.all(payloads.map((payload) => transport.publish('orders', payload)));
    expect(writes).toBe(1);
    const entries = await redis.xrange(`${prefix}:events:{orders}`, '-', '+');
    expect(entries.map(([id, fields]) => [id, fields[1]])).toEqual(
      ids.map((id, index) => [id, payloads[index]]),
    );
  });
});

describe('redisTransport: publishMany', () => {
  it('appends a batch over several topics in order, and answers each message with its own entry id', async () => {
    const redis = client();
    const prefix = `batch-${randomUUID()}`;
    const transport = open({ prefix });
    // Runs of one topic, a topic coming back after another, a lone message.
    const topics = ['orders', 'orders', 'users', 'orders', 'users', 'users', 'audit'];
    const batch = topics.map((topic, index) => ({ topic, payload: `${topic}-${index}` }));
    const ids = await transport.publishMany(batch);
    expect(ids).toHaveLength(batch.length);
    for (const topic of ['orders', 'users', 'audit']) {
      const entries = await redis.xrange(`${prefix}:events:{${topic}}`, '-', '+');
      const expected = batch.flatMap((message, index) =>
        message.topic === topic ? [[ids[index], ['payload', message.payload]]] : [],
      );
      expect(entries).toEqual(expected);
    }
    expect(await transport.publishMany([])).toEqual([]);
  });

  it('writes nothing of a batch that fails, and says why with a typed error', async () => {
    const redis = client();
    const prefix = `batch-fail-${randomUUID()}`;
    const transport = open({ prefix });
    // A key of the wrong type: the first XADD of its run fails.
    await redis.set(`${prefix}:events:{users}`, 'not a stream');
    const error: unknown = await transport
      .publishMany([
        { topic: 'users', payload: 'u-1' },
        { topic: 'users', payload: 'u-2' },
      ])
      .catch((e: unknown) => e);
    expect(isSwitchboardError(error, 'TRANSPORT')).toBe(true);
    expect((error as Error).message).toMatch(/WRONGTYPE/);
    expect(await redis.get(`${prefix}:events:{users}`)).toBe('not a stream');
    // Validation comes before anything is sent: a bad topic fails the whole batch.
    await expect(
      transport.publishMany([
        { topic: 'orders', payload: 'ok' },
        { topic: 'bad topic', payload: 'x' },
      ]),
    ).rejects.toThrow(/topic/);
    expect(await redis.exists(`${prefix}:events:{orders}`)).toBe(0);
  });
});

describe('redisTransport: Redis unreachable', () => {
  it('fails a publish while disconnected with a typed error after commandTimeoutMs, never sends it later, and recovers', async () => {
    const server = await startRedisServer();
    closers.push(() => server.stop());
    const proxy = await startFaultProxy({ port: server.port });
    closers.push(() => proxy.close());
    const prefix = `outage-${randomUUID()}`;
    const transport = open({ url: proxy.url, prefix, commandTimeoutMs: 300 });
    const received: string[] = [];
    const reconnects: { failures: number; downMs: number }[] = [];
    const onReconnected = (info: { failures: number; downMs: number }): void => {
      reconnects.push(info);
    };
    await transport.subscribe(orderSpec({ start: 'latest', onReconnected }), (message) => {
      received.push(message.payload);
      return Promise.resolve();
    });
    await transport.publish('orders', 'before');
    expect((await transport.health()).connected).toBe(true);

    await cut(proxy);
    await waitFor(async () => !(await transport.health()).connected, 5_000, 'the drop noticed');
    const started = Date.now();
    const error: unknown = await transport.publish('orders', 'while-down').catch((e: unknown) => e);
    expect(isSwitchboardError(error, 'TIMEOUT')).toBe(true);
    expect(Date.now() - started).toBeLessThan(3_000);
    const aborted: unknown = await transport
      .publish('orders', 'aborted', { signal: AbortSignal.abort() })
      .catch((e: unknown) => e);
    expect(isSwitchboardError(aborted, 'ABORTED')).toBe(true);

    await proxy.set({ kind: 'pass' });
    await waitFor(async () => (await transport.health()).connected, 10_000, 'reconnection');
    await transport.publish('orders', 'after');
    await waitFor(() => received.includes('after'), 10_000, 'the subscriber reading again');
    const entries = await client(server.url).xrange(`${prefix}:events:{orders}`, '-', '+');
    // Written only once the connection is ready: the timed-out publish was never
    // queued, so it is not replayed behind the caller's back once Redis is back.
    expect(entries.map(([, fields]) => fields[1])).toEqual(['before', 'after']);
    expect(received).toEqual(['before', 'after']);
    // The subscription noticed the outage and its end.
    expect(reconnects).toHaveLength(1);
    expect(reconnects[0]?.failures).toBeGreaterThanOrEqual(1);
    expect(reconnects[0]?.downMs).toBeGreaterThan(0);
  });

  it('fails a publish sent on a ready connection that never replies with a TimeoutError after about commandTimeoutMs', async () => {
    const server = await startRedisServer();
    closers.push(() => server.stop());
    const proxy = await startFaultProxy({ port: server.port });
    closers.push(() => proxy.close());
    const transport = open({ url: proxy.url, commandTimeoutMs: 400 });
    await transport.publish('orders', 'before');

    // The connection stays up (no FIN, no RST): only the deadline can end the wait.
    await proxy.set({ kind: 'black-hole' });
    expect((await transport.health()).connected).toBe(true);
    const started = Date.now();
    const errors = await Promise.all(
      ['a', 'b', 'c'].map((payload) =>
        transport.publish('orders', payload).catch((error: unknown) => error),
      ),
    );
    const elapsedMs = Date.now() - started;
    for (const error of errors) {
      expect(isSwitchboardError(error, 'TIMEOUT')).toBe(true);
      expect((error as Error).message).toMatch(/Redis publish took longer than 400 ms/);
    }
    // The sweep runs every quarter of the timeout: never early, at most a sweep late (and some slack).
    expect(elapsedMs).toBeGreaterThanOrEqual(390);
    expect(elapsedMs).toBeLessThan(2_000);
  });
});

describe('EventSubscriber on Redis: reconnection', () => {
  it('emits reconnected after an outage and reports lag in health()', async () => {
    const server = await startRedisServer();
    closers.push(() => server.stop());
    const proxy = await startFaultProxy({ port: server.port });
    closers.push(() => proxy.close());
    const bus = new EventBus({
      source: 'test',
      transport: redisTransport({ url: proxy.url, prefix: 'reconnect', blockMs: 300 }),
    });
    closers.push(() => bus.close());
    const subscriber = new EventSubscriber(bus, { group: 'mailer', claimIdleMs: 200 });
    closers.push(() => subscriber.stop());
    const reconnected: number[] = [];
    subscriber.events.on('reconnected', ({ failures }) => reconnected.push(failures));
    const handled: number[] = [];
    await subscriber
      .on(UserEvents.login, (event) => {
        handled.push(event.data.userId);
      })
      .start();
    await cut(proxy);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await proxy.set({ kind: 'pass' });
    await waitFor(() => reconnected.length === 1, 10_000, 'the reconnected event');
    await bus.publish(UserEvents.login.create({ userId: 3, email: 'c@example.com' }));
    await waitFor(() => handled.includes(3), 10_000, 'an event after the outage');
    await waitFor(() => subscriber.health().lag === 0, 5_000, 'lag in health()');
  });
});

describe('redisTransport: shared dedupe', () => {
  it('handles a duplicated event once across processes of one group', async () => {
    const prefix = `dedupe-${randomUUID()}`;
    const handled: string[] = [];
    const buses: EventBus[] = [];
    for (let i = 0; i < 2; i++) {
      const bus = new EventBus({
        source: `worker-${i}`,
        transport: redisTransport({ url, prefix, blockMs: 500 }),
      });
      closers.push(() => bus.close());
      buses.push(bus);
      const subscriber = new EventSubscriber(bus, {
        group: 'mailer',
        dedupe: { ttlMs: 60_000 },
        concurrency: 1,
      });
      closers.push(() => subscriber.stop());
      await subscriber
        .on(UserEvents.login, async (event) => {
          handled.push(event.id);
          await new Promise((resolve) => setTimeout(resolve, 20));
        })
        .start();
    }
    const event = UserEvents.login.create({ userId: 1, email: 'ada@example.com' });
    // The same event published five times (a publisher retrying after lost replies).
    const [first, second] = buses as [EventBus, EventBus];
    for (let i = 0; i < 5; i++) await (i % 2 === 0 ? first : second).publish(event);
    await first.publish(UserEvents.login.create({ userId: 2, email: 'bob@example.com' }));
    await waitFor(() => handled.length >= 2, 5_000, 'both events');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(handled.filter((id) => id === event.id)).toHaveLength(1);
    expect(handled).toHaveLength(2);
  });
});

describe('redisTransport: the dedupe store', () => {
  it('retakes a claim still leased when asked, never a completed one', async () => {
    const store = open().dedupeStore?.();
    if (store === undefined) throw new Error('the Redis transport has a dedupe store');
    expect(await store.claim('g:1', 60_000)).toBe(true);
    expect(await store.claim('g:1', 60_000)).toBe(false);
    expect(await store.claim('g:1', 60_000, { retake: true })).toBe(true);
    await store.complete('g:1', 60_000);
    expect(await store.claim('g:1', 60_000, { retake: true })).toBe(false);
    await store.release('g:1');
    expect(await store.claim('g:1', 60_000)).toBe(true);
  });
});

describe('redisTransport: broadcast and durable on one stream', () => {
  it('gives each event to every broadcast subscriber and once to each group', async () => {
    const transport = open();
    const group: string[] = [];
    const listeners = [[], []] as string[][];
    await transport.subscribe(orderSpec(), (message) => {
      group.push(message.payload);
      return Promise.resolve();
    });
    for (const list of listeners) {
      await transport.subscribe(orderSpec({ mode: 'broadcast' }), (message) => {
        list.push(message.payload);
        return Promise.resolve();
      });
    }
    await transport.publishMany(['a', 'b', 'c'].map((payload) => ({ topic: 'orders', payload })));
    await waitFor(
      () => group.length === 3 && listeners.every((list) => list.length === 3),
      5_000,
      'deliveries',
    );
    expect(group).toEqual(['a', 'b', 'c']);
    expect(listeners).toEqual([
      ['a', 'b', 'c'],
      ['a', 'b', 'c'],
    ]);
  });
});

describe('redisTransport: lag', () => {
  it('reports how many events the group has not read yet', async () => {
    const transport = open();
    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const subscription = await transport.subscribe(
      orderSpec({ concurrency: 1, claimIdleMs: 100 }),
      () => held,
    );
    try {
      await transport.publishMany(
        Array.from({ length: 20 }, (_, index) => ({ topic: 'orders', payload: `${index}` })),
      );
      // One is being handled; nineteen wait in the stream, unread by the group.
      await waitFor(() => subscription.stats().lag === 19, 5_000, 'lag of 19');
    } finally {
      release();
    }
    await waitFor(() => subscription.stats().lag === 0, 5_000, 'lag back to 0');
  });
});
