import { Redis } from 'ioredis';
import { afterEach, expect, it } from 'vitest';
import { EventBus, EventSubscriber, ProductEvents, redisTransport, type Logger } from 'switchboard';
import { startRedisServer, type RedisServer } from 'switchboard/testing';
import { waitFor } from './helpers.js';

// Redis restarted without persistence: streams and groups are gone. The
// subscriber must say so once (possible data loss), re-create its group and
// keep consuming, without a tight retry loop.

const closers: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

const DATA = { productId: 1, name: 'Pen', price: 2, createdBy: 7, category: 'office' };

it('reports possible data loss once when Redis restarts without persistence, and keeps consuming', async () => {
  const server: RedisServer = await startRedisServer();
  closers.push(() => server.stop());
  const errors: string[] = [];
  const logger: Logger = {
    debug: () => undefined,
    info: () => undefined,
    warn: () => undefined,
    error: (_context, message) => {
      errors.push(message ?? '');
    },
  };
  const bus = new EventBus({
    source: 'test',
    transport: redisTransport({ url: server.url, prefix: 'loss', blockMs: 200, logger }),
  });
  closers.push(() => bus.close());
  const subscriber = new EventSubscriber(bus, { group: 'stock', consumer: 'c1' });
  const seen: number[] = [];
  const losses: { group: string; topics: readonly string[]; reason: string }[] = [];
  subscriber.on(ProductEvents.created, (event) => {
    seen.push(event.data.productId);
  });
  subscriber.events.on('possible-data-loss', (info) => {
    losses.push(info);
  });
  await subscriber.start();
  closers.push(() => subscriber.stop());

  await bus.publish(ProductEvents.created.create({ ...DATA, productId: 1 }));
  await waitFor(() => seen.includes(1), 5_000, 'the first event');
  await server.restart(); // SIGKILL, no persistence: every key is gone
  // Publishes fail until the connection is back; retried here as a caller would.
  await waitFor(
    async () =>
      bus.publish(ProductEvents.created.create({ ...DATA, productId: 2 })).then(
        () => true,
        () => false,
      ),
    10_000,
    'a publish after the restart',
  );
  await waitFor(() => seen.includes(2), 10_000, 'an event published after the restart');
  // A few more read cycles (blockMs 200): still reported only once.
  await new Promise((resolve) => setTimeout(resolve, 600));
  expect(losses).toHaveLength(1);
  expect(losses[0]).toMatchObject({ group: 'stock', topics: ['product'] });
  expect(losses[0]?.reason).toMatch(/consumer group vanished/);
  expect(errors.filter((message) => message.startsWith('possible data loss'))).toHaveLength(1);
  // No tight loop: since the restart (about a second of blockMs 200 reads, the
  // failed ones backing off) Redis saw a handful of reads, not thousands.
  const admin = new Redis(server.url);
  try {
    const stats = await admin.info('commandstats');
    const reads = Number(/cmdstat_xreadgroup:calls=(\d+)/.exec(stats)?.[1] ?? 0);
    expect(reads).toBeGreaterThan(0);
    expect(reads).toBeLessThan(100);
  } finally {
    admin.disconnect();
  }
});
