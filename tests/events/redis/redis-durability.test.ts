import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { redisTransport, type EventTransport, type TransportMessage } from 'switchboard';
import { startRedisServer, type RedisServer } from 'switchboard/testing';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy.js';
import { orderSpec, waitFor } from './helpers.js';

const url = inject('redisUrl');
const CHILD = fileURLToPath(new URL('./fixtures/consumer-child.ts', import.meta.url));

const transports: EventTransport[] = [];
const clients: Redis[] = [];
const children: ChildProcess[] = [];
const servers: RedisServer[] = [];
const proxies: FaultProxy[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  await Promise.all(transports.splice(0).map((transport) => transport.close()));
  for (const client of clients.splice(0)) client.disconnect();
  await Promise.all(servers.splice(0).map((server) => server.stop()));
  await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
});

function open(redisUrl = url, prefix = `durability-${randomUUID()}`): EventTransport {
  const transport = redisTransport({ url: redisUrl, prefix, blockMs: 500 });
  transports.push(transport);
  return transport;
}

function client(redisUrl = url): Redis {
  const redis = new Redis(redisUrl);
  redis.on('error', () => undefined);
  clients.push(redis);
  return redis;
}

async function startChild(args: string[]): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  const [chunk] = (await Promise.race([
    once(child.stdout, 'data'),
    once(child, 'exit').then(() => {
      throw new Error('the consumer process exited before it was ready');
    }),
  ])) as [Buffer];
  expect(chunk.toString()).toContain('ready');
  return child;
}

async function pendingCount(redis: Redis, stream: string, group: string): Promise<number> {
  const summary = (await redis.call('XPENDING', [stream, group])) as [unknown, ...unknown[]];
  return Number(summary[0]);
}

describe('redis transport: crashes and restarts', () => {
  it('retires the consumers of processes gone, once they hold nothing, losing nothing', async () => {
    const prefix = `retire-${randomUUID()}`;
    const stream = `${prefix}:events:{orders}`;
    const redis = client();
    const transport = redisTransport({ url, prefix, blockMs: 50 });
    transports.push(transport);
    await transport.publishMany(['a', 'b'].map((payload) => ({ topic: 'orders', payload })));
    await redis.xgroup('CREATE', stream, 'billing', '0', 'MKSTREAM');
    // Two consumers of processes gone: one acknowledged what it read, one died holding 'b'.
    const [[, [[idA]]]] = (await redis.xreadgroup(
      'GROUP',
      'billing',
      'gone-clean',
      'COUNT',
      1,
      'STREAMS',
      stream,
      '>',
    )) as [[string, [[string, string[]]]]];
    await redis.xack(stream, 'billing', idA);
    await redis.xreadgroup('GROUP', 'billing', 'gone-holding', 'COUNT', 1, 'STREAMS', stream, '>');
    const names = async (): Promise<string[]> =>
      ((await redis.call('XINFO', ['CONSUMERS', stream, 'billing'])) as unknown[][])
        .map((info) => String(info[info.indexOf('name') + 1]))
        .sort();
    expect(await names()).toEqual(['gone-clean', 'gone-holding']);
    const handled: string[] = [];
    await transport.subscribe(orderSpec({ consumer: 'alive', claimIdleMs: 20 }), (message) => {
      handled.push(message.payload);
      return Promise.resolve();
    });
    // 'b' is taken over, then both silent consumers are retired; the live one stays.
    await waitFor(async () => (await names()).join() === 'alive', 10_000, 'ghosts retired');
    expect(handled).toEqual(['b']);
    expect(await pendingCount(redis, stream, 'billing')).toBe(0);
  });

  it('loses none of 1,000 events when a consumer process is killed mid-handler', async () => {
    const prefix = `crash-${randomUUID()}`;
    const ledger = `${prefix}:ledger`;
    const redis = client();
    const transport = open(url, prefix);
    const child = await startChild([
      url,
      prefix,
      'orders',
      'billing',
      'child',
      '500',
      ledger,
      '200',
    ]);
    const sent = Array.from({ length: 1_000 }, (_, index) => `order-${index}`);
    for (let i = 0; i < sent.length; i += 100) {
      await transport.publishMany(
        sent.slice(i, i + 100).map((payload) => ({ topic: 'orders', payload })),
      );
    }
    await waitFor(
      async () => (await redis.scard(ledger)) >= 200,
      20_000,
      '200 handled by the child',
    );
    child.kill('SIGKILL');
    const killedAt = Date.now();
    await once(child, 'exit');

    // The survivor takes over what the dead process held, after claimIdleMs.
    const claimIdleMs = 500;
    const handled = new Map<string, number>();
    let firstRedelivery: number | undefined;
    await transport.subscribe(orderSpec({ claimIdleMs }), async (message) => {
      if (message.deliveryCount >= 2) firstRedelivery ??= Date.now();
      await redis.sadd(ledger, message.payload);
      handled.set(message.payload, message.deliveryCount);
    });
    await waitFor(async () => (await redis.scard(ledger)) === sent.length, 30_000, 'every event');
    const stream = `${prefix}:events:{orders}`;
    await waitFor(
      async () => (await pendingCount(redis, stream, 'billing')) === 0,
      10_000,
      'no pending',
    );
    expect((await redis.smembers(ledger)).sort()).toEqual([...sent].sort());
    // What the child held when it died came back as a redelivery, within
    // claimIdleMs + the claim interval (claimIdleMs / 2) + 1 s of the kill.
    expect([...handled.values()].some((count) => count >= 2)).toBe(true);
    const redeliveredAfterMs = (firstRedelivery ?? Infinity) - killedAt;
    console.log(`first redelivery ${redeliveredAfterMs} ms after the SIGKILL`);
    expect(redeliveredAfterMs).toBeLessThanOrEqual(claimIdleMs + claimIdleMs / 2 + 1_000);
  });

  it('delivers every acknowledged publish across a Redis crash (appendonly, fsync always)', async () => {
    const server = await startRedisServer({ appendOnly: true, args: ['--appendfsync', 'always'] });
    servers.push(server);
    const transport = redisTransport({
      url: server.url,
      prefix: 'restart',
      blockMs: 300,
      commandTimeoutMs: 3_000,
    });
    transports.push(transport);
    const received = new Set<string>();
    await transport.subscribe(orderSpec({ claimIdleMs: 1_000 }), (message) => {
      received.add(message.payload);
      return Promise.resolve();
    });
    const acknowledged: string[] = [];
    const stop = { now: false };
    const producer = (async () => {
      for (let i = 0; i < 2_000 && !stop.now; i++) {
        try {
          await transport.publish('orders', `order-${i}`);
          acknowledged.push(`order-${i}`);
        } catch {
          // Not acknowledged: the caller knows, and nothing is promised for it.
        }
        if (i % 10 === 0) await new Promise((resolve) => setTimeout(resolve, 2));
      }
    })();
    await waitFor(() => acknowledged.length >= 100, 10_000, 'publishing under way');
    await server.restart(); // SIGKILL, as a crash
    await waitFor(() => acknowledged.length >= 400, 20_000, 'publishing after the restart');
    stop.now = true;
    await producer;
    await waitFor(
      () => acknowledged.every((payload) => received.has(payload)),
      20_000,
      'every acknowledged event',
    );
    expect(acknowledged.filter((payload) => !received.has(payload))).toEqual([]);
  });

  it('re-creates a group whose stream was deleted, and reads on', async () => {
    const prefix = `nogroup-${randomUUID()}`;
    const transport = open(url, prefix);
    const received: string[] = [];
    const redis = client();
    await transport.subscribe(orderSpec({ start: 'latest' }), (message) => {
      received.push(message.payload);
      return Promise.resolve();
    });
    await transport.publish('orders', 'before');
    await waitFor(() => received.length === 1, 5_000, 'first event');
    // The stream and its groups are gone: the next read fails with NOGROUP.
    expect(await redis.del(`${prefix}:events:{orders}`)).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 700));
    await transport.publish('orders', 'after');
    await waitFor(() => received.length === 2, 10_000, 'event after the group vanished');
    expect(received).toEqual(['before', 'after']);
  });

  it('a consumer restarted under its name takes back what it held first, without waiting claimIdleMs', async () => {
    const transport = open();
    const held: TransportMessage[] = [];
    const first = await transport.subscribe(
      orderSpec({ consumer: 'worker-1', claimIdleMs: 60_000, concurrency: 2 }),
      (message) => {
        held.push(message);
        return new Promise<void>(() => undefined); // the process "dies" with these in flight
      },
    );
    await transport.publishMany(['a', 'b'].map((payload) => ({ topic: 'orders', payload })));
    await waitFor(() => held.length === 2, 5_000, 'two in flight');
    await first.stop({ drain: false });
    await transport.publish('orders', 'c');
    const seen: TransportMessage[] = [];
    const started = Date.now();
    await transport.subscribe(
      orderSpec({ consumer: 'worker-1', claimIdleMs: 60_000, concurrency: 1 }),
      (message) => {
        seen.push(message);
        return Promise.resolve();
      },
    );
    await waitFor(() => seen.length === 3, 5_000, 'all three');
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(seen.map((message) => [message.payload, message.deliveryCount])).toEqual([
      ['a', 2],
      ['b', 2],
      ['c', 1],
    ]);
  });

  it('never runs a live slow handler twice, however long past claimIdleMs it takes', async () => {
    const transport = open();
    const calls: TransportMessage[] = [];
    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const handler = async (message: TransportMessage): Promise<void> => {
      calls.push(message);
      await held;
    };
    await transport.subscribe(orderSpec({ claimIdleMs: 150, concurrency: 1 }), handler);
    await transport.subscribe(orderSpec({ claimIdleMs: 150, concurrency: 1 }), handler);
    await transport.publish('orders', 'slow');
    try {
      await waitFor(() => calls.length === 1, 5_000, 'first delivery');
      // Ten lease periods: a consumer that stopped renewing would have lost it long ago.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(calls).toHaveLength(1);
    } finally {
      release();
    }
  });

  it('dead-letters a message whose every delivery ended with its consumer dying', async () => {
    const transport = open();
    const group = 'crashy';
    let deliveries = 0;
    // Each consumer "crashes" (stops without draining) while handling the message.
    for (let attempt = 1; attempt <= 3; attempt++) {
      let started = (): void => undefined;
      const running = new Promise<void>((resolve) => {
        started = resolve;
      });
      const subscription = await transport.subscribe(
        orderSpec({ group, maxDeliveries: 3, claimIdleMs: 100, concurrency: 1 }),
        () => {
          deliveries += 1;
          started();
          return new Promise<void>(() => undefined);
        },
      );
      if (attempt === 1) await transport.publish('orders', 'poison-pill');
      await running;
      await subscription.stop({ drain: false });
    }
    let ran = false;
    await transport.subscribe(orderSpec({ group, maxDeliveries: 3, claimIdleMs: 100 }), () => {
      ran = true;
      return Promise.resolve();
    });
    await waitFor(
      async () => (await transport.deadLetters.list({ group })).length === 1,
      5_000,
      'dead letter',
    );
    const [letter] = await transport.deadLetters.list({ group });
    expect(deliveries).toBe(3);
    expect(ran).toBe(false);
    expect(letter).toMatchObject({
      payload: 'poison-pill',
      reason: 'max-deliveries',
      deliveryCount: 3,
    });
  });

  it('stop({ drain: true }) leaves no pending entries and no connections behind', async () => {
    const prefix = `drain-${randomUUID()}`;
    const redis = client();
    const { hostname, port } = new URL(url);
    const transport = redisTransport({
      redis: { host: hostname, port: Number(port), connectionName: prefix },
      prefix,
      blockMs: 500,
    });
    let handled = 0;
    const subscription = await transport.subscribe(orderSpec({ concurrency: 8 }), async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      handled += 1;
    });
    await transport.publishMany(
      Array.from({ length: 50 }, (_, index) => ({ topic: 'orders', payload: `m-${index}` })),
    );
    await waitFor(() => handled >= 10, 5_000, 'handlers under way');
    // The command connection and the subscription's own blocking one.
    expect(await connectionsNamed(redis, prefix)).toBe(2);
    await subscription.stop({ drain: true });
    const pending = await pendingCount(redis, `${prefix}:events:{orders}`, 'billing');
    expect(pending).toBe(0);
    // The consumer held nothing, so it left the group: names do not pile up.
    expect(
      await redis.call('XINFO', ['CONSUMERS', `${prefix}:events:{orders}`, 'billing']),
    ).toEqual([]);
    expect(subscription.stats()).toMatchObject({ inFlight: 0, pending: 0, trimmed: 0 });
    await transport.close();
    await waitFor(
      async () => (await connectionsNamed(redis, prefix)) === 0,
      5_000,
      'connections closed',
    );
  });
});

describe('redisTransport: a draining stop', () => {
  it('runs and acknowledges entries whose read reply lands after the stop', async () => {
    const target = new URL(url);
    const proxy = await startFaultProxy({ host: target.hostname, port: Number(target.port) });
    proxies.push(proxy);
    const prefix = `drain-late-${randomUUID()}`;
    const transport = open(proxy.url, prefix);
    const handled: string[] = [];
    let release = (): void => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const subscription = await transport.subscribe(
      orderSpec({ concurrency: 2 }),
      async (message) => {
        await gate;
        handled.push(message.payload);
      },
    );
    await transport.publishMany(
      Array.from({ length: 10 }, (_, index) => ({ topic: 'orders', payload: `m-${index}` })),
    );
    await waitFor(() => subscription.stats().inFlight === 2, 5_000, 'both slots busy');
    // The next read reaches Redis, which hands it two entries at once, but its
    // reply only arrives after the stop has begun.
    await proxy.set({ kind: 'latency', ms: 400, direction: 'down' });
    release();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await subscription.stop({ drain: true });
    expect(handled).toHaveLength(4);
    expect(await pendingCount(client(), `${prefix}:events:{orders}`, 'billing')).toBe(0);
  });
});

/** Connections to the server that carry `name` (tests run in parallel on one server). */
async function connectionsNamed(redis: Redis, name: string): Promise<number> {
  const list = String(await redis.call('CLIENT', ['LIST']));
  return list.split('\n').filter((line) => line.includes(` name=${name} `)).length;
}
