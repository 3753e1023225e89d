import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, expect, inject, it } from 'vitest';
import {
  EventBus,
  EventSubscriber,
  ProductEvents,
  redisTransport,
  type EventEnvelope,
} from 'switchboard';
import { startFaultProxy } from '../support/fault-proxy.js';
import { Ledger } from '../support/ledger.js';
import { productCreated } from '../support/product-event.js';

// 10,000 publishes through a proxy that resets every connection 100 times.
// Every publish must settle (none hangs); a caller retrying the same event
// after a failure may store it twice, and the subscriber's dedupe must still
// run each event's handler once.

const url = inject('redisUrl');
const closers: (() => unknown)[] = [];

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

const EVENTS = 10_000;
const RESETS = 100;
const IN_FLIGHT = 50;
const COMMAND_TIMEOUT_MS = 2_000;
/** Longer than any publish may take: a publish still unsettled by then hangs. */
const HANG_MS = COMMAND_TIMEOUT_MS + 3_000;

it('connection resets during publishes: every publish settles, none is lost, dedupe runs each handler once', async () => {
  const prefix = `resets-${randomUUID()}`;
  const { port } = new URL(url);
  const proxy = await startFaultProxy({ port: Number(port) });
  closers.push(() => proxy.close());
  const publisher = new EventBus({
    source: 'test',
    transport: redisTransport({
      url: proxy.url,
      prefix,
      commandTimeoutMs: COMMAND_TIMEOUT_MS,
    }),
  });
  closers.push(() => publisher.close());
  // The consumer talks to Redis directly: only the publisher's link is faulted.
  const consumerBus = new EventBus({ source: 'test', transport: redisTransport({ url, prefix }) });
  closers.push(() => consumerBus.close());
  const subscriber = new EventSubscriber(consumerBus, {
    group: 'stock',
    consumer: 'c1',
    concurrency: 50,
    dedupe: { ttlMs: 10 * 60_000 },
  });
  const ledger = new Ledger();
  subscriber.on(ProductEvents.created, (event) => {
    ledger.delivered(event.id, 'c1');
  });
  await subscriber.start();
  closers.push(() => subscriber.stop());

  const events: EventEnvelope[] = Array.from({ length: EVENTS }, (_, index) =>
    productCreated(index + 1),
  );
  let attempts = 0;
  let hung = 0;
  let done = 0;
  let resets = 0;
  // The same event again until it is stored: what a careful caller does.
  const publishUntilStored = async (event: EventEnvelope): Promise<void> => {
    for (let attempt = 1; attempt <= 20; attempt++) {
      attempts += 1;
      const settled = ledger.track(event.id, publisher.publish(event));
      const result = await Promise.race([
        settled,
        new Promise<'hung'>((resolve) => setTimeout(resolve, HANG_MS, 'hung').unref()),
      ]);
      if (result === 'hung') {
        hung += 1;
        return;
      }
      if (result.outcome === 'ok') return;
    }
  };
  let next = 0;
  const producer = async (): Promise<void> => {
    while (next < EVENTS) {
      const event = events[next++] as EventEnvelope;
      await publishUntilStored(event);
      done += 1;
      if (done % (EVENTS / RESETS) === 0 && resets < RESETS) {
        resets += 1;
        ledger.fault(`reset-${resets}`);
        await proxy.resetAll();
      }
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, producer));
  await ledger.settled();
  expect(hung).toBe(0);
  expect(resets).toBe(RESETS);

  const deadline = Date.now() + 60_000;
  while (ledger.check().lost.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const report = ledger.check();
  const admin = new Redis(url);
  closers.push(() => admin.quit());
  const stored = await admin.xlen(`${prefix}:events:{product}`);
  console.log(
    `${ledger.line()}; ${attempts} publish attempts; ${stored - EVENTS} duplicates stored in the stream`,
  );
  expect(report.published.ok).toBe(EVENTS);
  expect(report.lost).toEqual([]);
  expect(report.unexpected).toEqual([]);
  // Stored twice or not, each event's handler ran once.
  expect(report.duplicated.size).toBe(0);
  expect(report.delivered).toBe(EVENTS);
  expect(stored).toBeGreaterThanOrEqual(EVENTS);
}, 120_000);
