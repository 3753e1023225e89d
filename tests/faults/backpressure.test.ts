import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, expect, inject, it } from 'vitest';
import { EventBus, EventSubscriber, ProductEvents, redisTransport } from 'switchboard';
import { mib, settledHeapUsed } from '../support/heap.js';
import { Ledger } from '../support/ledger.js';
import { waitFor } from '../support/wait-for.js';

// A consumer whose handler takes 100 ms is fed 2,000 events a second, far
// more than its concurrency can handle (100 slots: 1,000 a second). The
// backlog must wait in Redis, not in the process: the consumer reads only as
// many events as it has free slots, so handlers in flight never exceed
// `concurrency`, what it holds (running, read and waiting, being
// acknowledged) stays near it, and the heap does not grow with the backlog.
// Once the publisher stops, the lag drains to 0 and nothing is lost.
//
// 4 s of publishing here; `npm run test:soak` (SOAK=full) runs the full 10 s.

const url = inject('redisUrl');
const closers: (() => unknown)[] = [];

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

const RATE = 2_000;
const PUBLISH_MS = process.env['SOAK'] === 'full' ? 10_000 : 4_000;
const HANDLER_MS = 100;
const CONCURRENCY = 100;
/** Publishes go out in batches every TICK_MS, RATE a second in all. */
const TICK_MS = 50;
/** What the consumer may hold besides its running handlers: acknowledgements on their way. */
const HELD_BOUND = 2 * CONCURRENCY;
/**
 * The heap may grow by the test's own ledger (about 250 bytes an event) and a
 * few MiB; thousands of 2 KB events wait in Redis at the end, and holding
 * them in the process would take at least 2 KB each on top.
 */
const HEAP_GROWTH_BOUND = 4 * 2 ** 20 + 300 * RATE * (PUBLISH_MS / 1_000);

it(`backpressure: a 100 ms handler fed ${RATE} events/s for ${PUBLISH_MS / 1_000} s never runs more than concurrency, holds a bounded set, and drains the lag`, async () => {
  const prefix = `backpressure-${randomUUID()}`;
  const publisher = new EventBus({ source: 'test', transport: redisTransport({ url, prefix }) });
  closers.push(() => publisher.close());
  const consumerBus = new EventBus({
    source: 'test',
    transport: redisTransport({ url, prefix, blockMs: 200 }),
  });
  closers.push(() => consumerBus.close());
  const admin = new Redis(url);
  closers.push(() => admin.quit());
  const subscriber = new EventSubscriber(consumerBus, {
    group: 'stock',
    consumer: 'c1',
    concurrency: CONCURRENCY,
    // The lag is read every claimIdleMs / 2.
    claimIdleMs: 2_000,
  });
  const ledger = new Ledger();
  let inFlight = 0;
  let maxInFlight = 0;
  subscriber.on(ProductEvents.created, async (event) => {
    maxInFlight = Math.max(maxInFlight, ++inFlight);
    try {
      await new Promise((resolve) => setTimeout(resolve, HANDLER_MS));
      ledger.delivered(event.id, 'c1');
    } finally {
      inFlight -= 1;
    }
  });
  await subscriber.start();
  closers.push(() => subscriber.stop({ drain: false }));
  const heapBefore = await settledHeapUsed();

  // What the consumer holds, seen from the process and from Redis.
  let maxHeld = 0;
  let maxPendingInRedis = 0;
  const stream = `${prefix}:events:{product}`;
  const sampler = setInterval(() => {
    maxHeld = Math.max(maxHeld, subscriber.health().pending);
    void admin.xpending(stream, 'stock').then(
      (summary) => {
        maxPendingInRedis = Math.max(maxPendingInRedis, Number(summary[0]));
      },
      () => undefined,
    );
  }, 50);
  closers.push(() => {
    clearInterval(sampler);
  });

  const name = 'x'.repeat(2_000);
  const perTick = (RATE * TICK_MS) / 1_000;
  const started = Date.now();
  let productId = 0;
  let publishing = Promise.resolve();
  for (let tick = 1; tick <= PUBLISH_MS / TICK_MS; tick++) {
    const events = Array.from({ length: perTick }, () =>
      ProductEvents.created.create({
        productId: ++productId,
        name,
        price: 2,
        createdBy: 7,
        category: 'office',
      }),
    );
    publishing = publishing.then(async () => {
      await publisher.publishMany(events);
      for (const event of events) ledger.published(event.id, 'ok');
    });
    // Keeps the rate: each tick's batch leaves at its own time, late or not.
    const due = started + tick * TICK_MS - Date.now();
    if (due > 0) await new Promise((resolve) => setTimeout(resolve, due));
  }
  await publishing;
  const publishedMs = Date.now() - started;
  const backlog = productId - ledger.check().delivered;
  const heapAfter = await settledHeapUsed();

  await waitFor('every event handled', 60_000, () => ledger.check().lost.length === 0);
  await waitFor('the lag drained to 0', 10_000, () => subscriber.health().lag === 0);
  await waitFor('nothing left pending', 10_000, () => subscriber.health().pending === 0);
  clearInterval(sampler);
  const report = ledger.check();
  console.log(
    `${ledger.line()}; published ${productId} in ${publishedMs} ms (${Math.round((productId * 1_000) / publishedMs)}/s); ` +
      `${backlog} waiting in Redis when publishing stopped; in flight max ${maxInFlight}; held max ${maxHeld}; ` +
      `pending in Redis max ${maxPendingInRedis}; heap +${mib(heapAfter - heapBefore)} MiB (bound ${mib(HEAP_GROWTH_BOUND)})`,
  );
  expect(maxInFlight).toBe(CONCURRENCY);
  expect(maxHeld).toBeLessThanOrEqual(HELD_BOUND);
  expect(maxPendingInRedis).toBeLessThanOrEqual(HELD_BOUND);
  // The consumer fell behind, so the bounds above were put to the test.
  expect(backlog).toBeGreaterThan(CONCURRENCY * 10);
  expect(heapAfter - heapBefore).toBeLessThan(HEAP_GROWTH_BOUND);
  expect(report.published.ok).toBe(productId);
  expect(report.lost).toEqual([]);
  expect(report.unexpected).toEqual([]);
  expect(report.duplicated.size).toBe(0);
}, 120_000);
