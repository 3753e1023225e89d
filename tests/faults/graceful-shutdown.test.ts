import { randomUUID } from 'node:crypto';
import { afterEach, expect, inject, it } from 'vitest';
import {
  EventBus,
  EventSubscriber,
  ProductEvents,
  isSwitchboardError,
  redisTransport,
} from 'switchboard';
import { activeResources, expectResourcesBack } from '../support/guard.js';
import { Ledger } from '../support/ledger.js';
import { waitFor } from '../support/wait-for.js';
import { productCreated } from '../support/product-event.js';

// A deploy stops a consumer mid-processing with a grace period: handlers that
// finish within it are acknowledged; those still running at the deadline are
// not, and reach another consumer; nothing is left open.

const url = inject('redisUrl');
const closers: (() => unknown)[] = [];

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

const GRACE_MS = 500;
const CLAIM_IDLE_MS = 400;

it('stop with a grace period: quick handlers are acknowledged, slow ones reach another consumer, nothing is left open', async () => {
  const prefix = `shutdown-${randomUUID()}`;
  const publisher = new EventBus({ source: 'test', transport: redisTransport({ url, prefix }) });
  closers.push(() => publisher.close());
  const ledger = new Ledger();
  // Even product ids are quick (50 ms); odd ones take far longer than the grace period.
  const slow = (productId: number): boolean => productId % 2 === 1;
  const started: number[] = [];

  // The publisher's connection opens on its first publish: before the baseline.
  await publisher.transport.publish('warm-up', 'x');
  const baseline = activeResources();
  const firstBus = new EventBus({
    source: 'test',
    transport: redisTransport({ url, prefix, blockMs: 200 }),
  });
  const first = new EventSubscriber(firstBus, {
    group: 'stock',
    consumer: 'first',
    concurrency: 10,
    claimIdleMs: CLAIM_IDLE_MS,
  });
  first.on(ProductEvents.created, async (event, { signal }) => {
    started.push(event.data.productId);
    const ms = slow(event.data.productId) ? 60_000 : 50;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      signal.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    if (signal.aborted) throw new Error('aborted by the shutdown');
    ledger.delivered(String(event.data.productId), 'first');
  });
  await first.start();

  for (let productId = 1; productId <= 10; productId++) {
    const event = productCreated(productId);
    ledger.published(String(productId), 'ok');
    await publisher.publish(event);
  }
  await waitFor('all ten handlers running', 5_000, () => started.length === 10);

  const stopping = Date.now();
  // The grace period ends with handlers still running: stop() says so, as a
  // TimeoutError, once it has stopped everything anyway.
  const outcome: unknown = await first
    .stop({ drain: true, signal: AbortSignal.timeout(GRACE_MS) })
    .catch((error: unknown) => error);
  const tookMs = Date.now() - stopping;
  expect(isSwitchboardError(outcome, 'TIMEOUT')).toBe(true);
  await firstBus.close();
  expect(tookMs).toBeLessThan(GRACE_MS + 1_000);
  // The quick ones finished within the grace period and were acknowledged.
  expect(
    ledger
      .check()
      .lost.map(Number)
      .sort((a, b) => a - b),
  ).toEqual([1, 3, 5, 7, 9]);
  await expectResourcesBack(baseline, { timeoutMs: 2_000 });

  // The slow ones were not acknowledged: another consumer takes them over.
  const secondBus = new EventBus({
    source: 'test',
    transport: redisTransport({ url, prefix, blockMs: 200 }),
  });
  closers.push(() => secondBus.close());
  const second = new EventSubscriber(secondBus, {
    group: 'stock',
    consumer: 'second',
    claimIdleMs: CLAIM_IDLE_MS,
  });
  const redelivered: number[] = [];
  second.on(ProductEvents.created, (event, { deliveryCount }) => {
    redelivered.push(deliveryCount);
    ledger.delivered(String(event.data.productId), 'second');
  });
  await second.start();
  closers.push(() => second.stop());
  await waitFor('the slow ones taken over', 10_000, () => ledger.check().lost.length === 0);
  const report = ledger.check();
  console.log(`${ledger.line()}; stop took ${tookMs} ms`);
  expect(report.duplicated.size).toBe(0);
  expect(report.unexpected).toEqual([]);
  expect(redelivered.every((count) => count >= 2)).toBe(true);
}, 30_000);
