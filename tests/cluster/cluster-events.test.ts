import { randomUUID } from 'node:crypto';
import { Cluster } from 'ioredis';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import { EventBus, EventSubscriber, defineEvent, redisTransport } from 'switchboard';
import { startRedisCluster, type RedisCluster } from 'switchboard/testing';
import { waitFor } from '../support/wait-for.js';

// Events on a three-master cluster: topics spread over the masters, one
// subscription reading all of them (a blocking read per topic: a read across
// hash slots is refused), publishMany across topics, dead letters with
// redrive, dedupe and broadcast, all without a CROSSSLOT error.

const TOPICS = ['orders', 'payments', 'stock', 'users', 'mail', 'audit'];
const events = TOPICS.map((topic) =>
  defineEvent(`${topic}.happened`, z.object({ n: z.number() }), { topic }),
);

let cluster: RedisCluster;
let admin: Cluster;
const closers: (() => unknown)[] = [];

beforeAll(async () => {
  cluster = await startRedisCluster({ masters: 3 });
  admin = new Cluster([...cluster.startupNodes]);
  admin.on('error', () => undefined);
});

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

afterAll(async () => {
  admin.disconnect();
  await cluster.stop();
});

function bus(prefix: string): EventBus {
  const opened = new EventBus({
    source: 'cluster-test',
    transport: redisTransport({
      cluster: { nodes: [...cluster.startupNodes] },
      prefix,
      blockMs: 200,
    }),
  });
  closers.push(() => opened.close());
  return opened;
}

function subscriber(
  on: EventBus,
  options: ConstructorParameters<typeof EventSubscriber>[1],
): EventSubscriber {
  const opened = new EventSubscriber(on, { claimIdleMs: 1_000, ...options });
  closers.push(() => opened.stop());
  return opened;
}

/** The port of the master serving `key`'s slot. */
async function masterOf(key: string): Promise<number> {
  const slot = await admin.cluster('KEYSLOT', key);
  const ranges = (await admin.cluster('SLOTS')) as unknown as [number, number, [string, number]][];
  const range = ranges.find(([from, to]) => slot >= from && slot <= to);
  return range?.[2][1] ?? -1;
}

it('spreads topics over the masters and delivers every event of a multi-topic subscription once', async () => {
  const prefix = `cl-${randomUUID()}`;
  const masters = new Set(
    await Promise.all(TOPICS.map((topic) => masterOf(`${prefix}:events:{${topic}}`))),
  );
  expect(masters.size).toBeGreaterThan(1);

  const publisher = bus(prefix);
  const consumer = subscriber(bus(prefix), { group: 'all', concurrency: 8 });
  const seen = new Map<string, number>();
  for (const definition of events) {
    consumer.on(definition, (event) => {
      const key = `${event.type}/${event.data.n}`;
      seen.set(key, (seen.get(key) ?? 0) + 1);
    });
  }
  await consumer.start();
  // One batch across every topic: a transaction per topic, all at once.
  const definitionFor = (n: number) => events[n % events.length] as (typeof events)[number];
  const batch = Array.from({ length: 300 }, (_, n) => definitionFor(n).create({ n }));
  expect(await publisher.publishMany(batch)).toHaveLength(300);
  for (let n = 300; n < 600; n++) await publisher.publish(definitionFor(n).create({ n }));
  await waitFor('every event', 15_000, () => seen.size === 600);
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect([...seen.values()].every((count) => count === 1)).toBe(true);
  expect(consumer.health()).toMatchObject({ running: true, pending: 0, lastError: undefined });
}, 30_000);

it('dead-letters, redrives and dedupes on the cluster', async () => {
  const prefix = `cl-${randomUUID()}`;
  const publisher = bus(prefix);
  const consumerBus = bus(prefix);
  const consumer = subscriber(consumerBus, {
    group: 'billing',
    maxDeliveries: 2,
    retryBaseDelayMs: 5,
    retryMaxDelayMs: 20,
    dedupe: { ttlMs: 60_000 },
  });
  let failing = true;
  const handled: number[] = [];
  const [orders, payments] = events as [(typeof events)[0], (typeof events)[0]];
  consumer.on(orders, (event) => {
    handled.push(event.data.n);
  });
  consumer.on(payments, (event) => {
    if (failing) throw new Error('payment provider down');
    handled.push(event.data.n);
  });
  await consumer.start();
  const once = orders.create({ n: 1 });
  await publisher.publish(once);
  await publisher.publish(once); // the same event id again: dedupe runs it once
  await publisher.publish(payments.create({ n: 2 }));
  const letters = async () => consumerBus.deadLetters.list({ group: 'billing' });
  await waitFor(
    'the failed payment dead-lettered',
    10_000,
    async () => (await letters()).length === 1,
  );
  const [letter] = await letters();
  expect(letter).toMatchObject({ reason: 'max-deliveries', topic: 'payments' });
  await waitFor('the duplicate skipped', 5_000, () => consumer.health().duplicates === 1);
  expect(handled).toEqual([1]);

  failing = false;
  expect(await consumerBus.deadLetters.redrive(letter?.id ?? '')).toBe(1);
  await waitFor('the redriven payment', 10_000, () => handled.includes(2));
  expect(await letters()).toEqual([]);
  expect(handled).toEqual([1, 2]);
}, 30_000);

it('gives every broadcast subscriber every topic', async () => {
  const prefix = `cl-${randomUUID()}`;
  const publisher = bus(prefix);
  const received = [new Set<string>(), new Set<string>()];
  for (const seen of received) {
    const listener = subscriber(bus(prefix), { group: 'screens', mode: 'broadcast' });
    for (const definition of events) {
      listener.on(definition, (event) => {
        seen.add(event.type);
      });
    }
    await listener.start();
  }
  for (const definition of events) await publisher.publish(definition.create({ n: 1 }));
  await waitFor('both saw every topic', 10_000, () =>
    received.every((seen) => seen.size === TOPICS.length),
  );
}, 30_000);
