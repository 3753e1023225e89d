import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, expect, inject, it } from 'vitest';
import { EventBus, EventSubscriber, ProductEvents, redisTransport } from 'switchboard';
import { startFaultProxy } from '../support/fault-proxy.js';
import { Ledger } from '../support/ledger.js';
import { waitFor } from '../support/wait-for.js';
import { productCreated } from '../support/product-event.js';

// With dedupe on, a consumer claims each event id in Redis before running its
// handler. If the claim reaches Redis but its reply is lost with the
// connection, ioredis sends the claim again on the new connection, and Redis
// finds the id already claimed: by this very consumer. Taking that for a
// duplicate would acknowledge the event without ever running its handler.
// Here only the dedupe store's connection is faulted (through a proxy), so
// the claim's reply can be dropped at will.

const url = inject('redisUrl');
const closers: (() => unknown)[] = [];

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

it("a dedupe claim whose reply was lost, and which ioredis resends, is still this consumer's: the handler runs", async () => {
  const prefix = `claim-${randomUUID()}`;
  const { port } = new URL(url);
  const proxy = await startFaultProxy({ port: Number(port) });
  closers.push(() => proxy.close());
  const admin = new Redis(url);
  closers.push(() => admin.quit());
  const publisher = new EventBus({ source: 'test', transport: redisTransport({ url, prefix }) });
  closers.push(() => publisher.close());
  const consumerBus = new EventBus({
    source: 'test',
    transport: redisTransport({ url, prefix, blockMs: 200 }),
  });
  closers.push(() => consumerBus.close());
  const dedupeTransport = redisTransport({ url: proxy.url, prefix, commandTimeoutMs: 5_000 });
  closers.push(() => dedupeTransport.close());
  const store = dedupeTransport.dedupeStore?.();
  if (store === undefined) throw new Error('the Redis transport has a dedupe store');
  await store.release('warm-up'); // the store's connection is open before the fault

  const subscriber = new EventSubscriber(consumerBus, {
    group: 'mailer',
    consumer: 'c1',
    dedupe: { ttlMs: 60_000, store },
  });
  const ledger = new Ledger();
  subscriber.on(ProductEvents.created, (event) => {
    ledger.delivered(event.id, 'c1');
  });
  await subscriber.start();
  closers.push(() => subscriber.stop({ drain: false }));

  await proxy.set({ kind: 'drop-replies' });
  ledger.fault('claim reply lost');
  const event = productCreated(1);
  await ledger.track(event.id, publisher.publish(event));
  const key = `${prefix}:dedupe:mailer:${event.id}`;
  await waitFor('the claim written in Redis', 5_000, async () => (await admin.exists(key)) === 1);
  // The connection dies with the reply; ioredis resends the claim on a new one.
  await proxy.set({ kind: 'pass' });
  await proxy.resetAll();
  ledger.fault('connection reset');
  await waitFor('the event handled, or acknowledged without it', 10_000, () => {
    return (
      ledger.check().delivered > 0 ||
      (subscriber.health().duplicates > 0 && subscriber.health().pending === 0)
    );
  });
  await new Promise((resolve) => setTimeout(resolve, 200));

  const report = ledger.check();
  console.log(`${ledger.line()}; taken for duplicates ${subscriber.health().duplicates}`);
  expect(report.lost).toEqual([]);
  expect(report.delivered).toBe(1);
  expect(subscriber.health().duplicates).toBe(0);
  expect(await admin.get(key)).toBe('handled');
}, 30_000);
