import { randomUUID } from 'node:crypto';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import { EventBus, EventSubscriber, defineEvent, redisTransport } from 'switchboard';
import { startRedisCluster, type RedisCluster } from 'switchboard/testing';
import { Ledger } from '../support/ledger.js';
import { waitFor } from '../support/wait-for.js';

// A master SIGKILLed under publishers and a consumer group; its replica is
// promoted and ioredis follows the slots. Events whose publish was confirmed
// by a replica (`durability`, WAIT) are never lost; events confirmed by the
// master alone may be, in the replication lag at the kill: the test reports
// how many, as the README's "Scaling out" says it can.

const TOPICS = ['orders', 'payments', 'stock'];
const Happened = TOPICS.map((topic) =>
  defineEvent(`${topic}.happened`, z.object({ key: z.string() }), { topic }),
);

let cluster: RedisCluster;
beforeAll(async () => {
  cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 1_000 });
});
afterAll(async () => {
  await cluster.stop();
});

it('loses no event a replica confirmed when a master fails over, and reports what the rest lost', async () => {
  const prefix = `failover-${randomUUID()}`;
  const transport = () =>
    redisTransport({
      cluster: { nodes: [...cluster.startupNodes] },
      prefix,
      blockMs: 500,
      commandTimeoutMs: 3_000,
    });
  const publisher = new EventBus({ source: 'failover', transport: transport() });
  const consumerBus = new EventBus({ source: 'failover', transport: transport() });
  const consumer = new EventSubscriber(consumerBus, {
    group: 'ledger',
    concurrency: 20,
    claimIdleMs: 2_000,
    start: 'earliest',
  });
  const confirmed = new Ledger();
  const plain = new Ledger();
  const ledgerOf = (key: string): Ledger => (key.startsWith('c') ? confirmed : plain);
  // Each topic counts as a consumer of its own, so the ledger times the
  // resume of the topic whose master died, not of the others.
  for (const [i, definition] of Happened.entries()) {
    consumer.on(definition, (event) => {
      ledgerOf(event.data.key).delivered(event.data.key, TOPICS[i] ?? '');
    });
  }
  await consumer.start();

  let publishing = true;
  let n = 0;
  const publishers = Array.from({ length: 20 }, async (_, worker) => {
    while (publishing) {
      const withWait = worker % 2 === 0;
      const key = `${withWait ? 'c' : 'p'}${n++}`;
      const event = Happened[n % Happened.length]?.create({ key });
      if (event === undefined) continue;
      const publish = publisher.publish(
        event,
        withWait ? { durability: { replicas: 1, timeoutMs: 500 } } : {},
      );
      // A failed or timed-out publish may have been stored: neither lost nor unexpected.
      const { outcome } = await ledgerOf(key).track(key, publish);
      if (outcome !== 'ok') await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });

  try {
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const admin = new Cluster([...cluster.startupNodes]);
    admin.on('error', () => undefined);
    const slot = await admin.cluster('KEYSLOT', `${prefix}:events:{orders}`);
    const ranges = (await admin.cluster('SLOTS')) as unknown as [
      number,
      number,
      [string, number],
    ][];
    admin.disconnect();
    const port = ranges.find(([from, to]) => slot >= from && slot <= to)?.[2][1];
    const victim = cluster.nodes.find((node) => node.port === port);
    if (victim === undefined) throw new Error('no master for the orders slot');
    process.kill(victim.pid, 'SIGKILL');
    const killedAt = Date.now();
    await cluster.waitUntilHealthy({ timeoutMs: 20_000 });
    const promotedAfterMs = Date.now() - killedAt;
    // From the promotion to the first orders event delivered again.
    confirmed.fault('orders replica promoted', Date.now(), { resumedBy: ['orders'] });
    // Publish on the promoted master for a while, then stop.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    publishing = false;
    await Promise.all(publishers);
    await confirmed.settled();
    await plain.settled();
    await waitFor(
      'every confirmed event delivered',
      30_000,
      () => confirmed.check().lost.length === 0,
    );
    // Late stragglers of the plain publisher have had the same time.
    const plainReport = plain.check();
    console.log(`failover (promoted after ${promotedAfterMs} ms)`);
    console.log(`  confirmed by a replica (WAIT): ${confirmed.line()}`);
    console.log(`  confirmed by the master only: ${plain.line()}`);
    const report = confirmed.check();
    expect(report.published.ok).toBeGreaterThan(100);
    expect(report.lost).toEqual([]);
    expect(report.unexpected).toEqual([]);
    expect(plainReport.unexpected).toEqual([]);
    // The orders topic lived on the victim: its events flow again after the promotion.
    expect(confirmed.resumedAfter('orders replica promoted')).toBeDefined();
  } finally {
    publishing = false;
    await Promise.all(publishers);
    await consumer.stop({ drain: false });
    await consumerBus.close();
    await publisher.close();
  }
}, 90_000);
