import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, expect, it } from 'vitest';
import {
  EventBus,
  EventSubscriber,
  ProductEvents,
  isSwitchboardError,
  redisTransport,
  type EventEnvelope,
} from 'switchboard';
import { startRedisServer } from 'switchboard/testing';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { activeResources, expectResourcesBack } from '../support/guard.js';
import { mib, settledHeapUsed } from '../support/heap.js';
import { Ledger } from '../support/ledger.js';
import { waitFor } from '../support/wait-for.js';

// Redis becomes unreachable (every connection reset, new ones refused) while
// a service keeps publishing: 20,000 publishes of 1 KB events during the
// outage. Each must fail fast with a typed error within the command timeout,
// and none may be kept anywhere: not in the transport, not in ioredis's
// offline queue (the transport only writes once the connection is ready),
// not as memory that grows with every attempt. None is written once Redis is
// back. Closing everything while Redis is still away must not hang, and must
// leave no timer or socket behind.

const closers: (() => unknown)[] = [];

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

const COMMAND_TIMEOUT_MS = 100;
const FLOOD = 20_000;
const WAVE = 1_000;
/** A full collection can leave a little behind: far less than one 1 KB event per attempt (20 MB). */
const HEAP_GROWTH_BOUND = 4 * 2 ** 20;
/** The timeout is swept every quarter of it; a loaded event loop runs late. */
const SETTLE_SLACK_MS = 1_000;

function product(id: string, productId: number, name = 'Pen'): EventEnvelope {
  return ProductEvents.created.create(
    { productId, name, price: 2, createdBy: 7, category: 'office' },
    { id },
  );
}

/**
 * Closing while Redis is away, with an acknowledgement due: one attempt (the
 * consumer's commandTimeoutMs, 500 ms) and the stop's 250 ms grace, with room
 * to spare. Retrying the acknowledgement with backoff, as outside a stop,
 * takes 5 to 30 s; waiting for Redis to come back, for ever.
 */
const CLOSE_BOUND_MS = 4_000;

/** Runs `work`, failing (instead of hanging until the test times out) after `ms`. */
async function bounded(what: string, ms: number, work: () => Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      work(),
      new Promise((_, reject) => {
        timer = setTimeout(() => {
          reject(new Error(`not within ${ms} ms: ${what}`));
        }, ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Redis unreachable: connections reset, new ones refused until `pass`. */
async function cut(proxy: FaultProxy): Promise<void> {
  await proxy.set({ kind: 'refuse' });
  await proxy.resetAll();
}

it('publishing while Redis is unreachable: typed errors within the timeout, bounded memory and queues, nothing written later, close() leaves nothing', async () => {
  const server = await startRedisServer();
  closers.push(() => server.stop());
  const proxy = await startFaultProxy({ port: server.port });
  closers.push(() => proxy.close());
  const baseline = activeResources();
  const prefix = `outage-${randomUUID()}`;
  const ledger = new Ledger();

  // The publisher's client is ours, made as the transport makes its own
  // (ioredis defaults), so the test can watch ioredis's queues.
  const publisherClient = new Redis(proxy.url);
  publisherClient.on('error', () => undefined);
  const publisher = new EventBus({
    source: 'test',
    transport: redisTransport({
      client: publisherClient,
      prefix,
      commandTimeoutMs: COMMAND_TIMEOUT_MS,
    }),
  });
  const consumerBus = new EventBus({
    source: 'test',
    transport: redisTransport({ url: proxy.url, prefix, blockMs: 200, commandTimeoutMs: 500 }),
  });
  const subscriber = new EventSubscriber(consumerBus, {
    group: 'stock',
    consumer: 'c1',
    claimIdleMs: 1_000,
  });
  let release = (): void => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let gatedStarted = false;
  subscriber.on(ProductEvents.created, async (event) => {
    if (event.id === 'gated') {
      gatedStarted = true;
      await gate;
    }
    ledger.delivered(event.id, 'c1');
  });
  await subscriber.start();

  let productId = 0;
  for (let i = 0; i < 100; i++) {
    await ledger.track(`before-${i}`, publisher.publish(product(`before-${i}`, ++productId)));
  }
  await waitFor('the first 100 delivered', 10_000, () => ledger.check().delivered === 100);
  const heapBefore = await settledHeapUsed();

  await cut(proxy);
  ledger.fault('unreachable');
  await waitFor('the publisher seeing the drop', 5_000, () => publisherClient.status !== 'ready');
  const name = 'x'.repeat(1_000);
  const offline = (): number =>
    (publisherClient as unknown as { offlineQueue: { length: number } }).offlineQueue.length;
  let slowestMs = 0;
  let typed = 0;
  let maxQueued = 0;
  let stored = 0;
  // The ids are known in advance, so the test keeps nothing per attempt that
  // the heap would count; the ledger learns the outcomes after the heap is read.
  const floodId = (n: number): string => `flood-${n}`;
  for (let wave = 0; wave < FLOOD / WAVE; wave++) {
    await Promise.all(
      Array.from({ length: WAVE }, async (_, i) => {
        const event = product(floodId(wave * WAVE + i), ++productId, name);
        const started = performance.now();
        try {
          await publisher.publish(event);
          stored += 1;
        } catch (error) {
          if (isSwitchboardError(error, 'TIMEOUT')) typed += 1;
        }
        slowestMs = Math.max(slowestMs, performance.now() - started);
        maxQueued = Math.max(maxQueued, offline(), publisherClient.commandQueue.length);
      }),
    );
  }
  const heapAfter = await settledHeapUsed();
  const growth = heapAfter - heapBefore;
  // Each was refused with a TimeoutError (asserted below): stored or not, nobody knows.
  for (let n = 0; n < FLOOD; n++) ledger.published(floodId(n), 'unknown');

  await proxy.set({ kind: 'pass' });
  ledger.fault('reachable');
  await waitFor('the publisher back', 10_000, () => publisherClient.status === 'ready');
  for (let i = 0; i < 100; i++) {
    await ledger.track(`after-${i}`, publisher.publish(product(`after-${i}`, ++productId)));
  }
  await waitFor('the last 100 delivered', 10_000, () => ledger.check().delivered === 200);
  const length = await publisherClient.xlen(`${prefix}:events:{product}`);

  // A second outage while a handler runs, and everything closed while Redis
  // is away: the handler's acknowledgement cannot be written (the event stays
  // pending, to be delivered again), and must not hold the stop.
  await waitFor('every acknowledgement written', 10_000, () => subscriber.health().pending === 0);
  await ledger.track('gated', publisher.publish(product('gated', ++productId)));
  await waitFor('the gated handler running', 10_000, () => gatedStarted);
  await cut(proxy);
  await waitFor('the drop seen', 5_000, () => publisherClient.status !== 'ready');
  release();
  await waitFor('the gated handler done', 5_000, () => ledger.check().delivered === 201);
  const closing = performance.now();
  await bounded('closing while Redis is away', CLOSE_BOUND_MS, async () => {
    await subscriber.stop();
    await consumerBus.close();
    await publisher.close();
  });
  const closeMs = Math.round(performance.now() - closing);
  publisherClient.disconnect();
  await proxy.close();
  await expectResourcesBack(baseline);
  // The acknowledgement never reached Redis: the event waits to be delivered again.
  const admin = new Redis(server.url);
  const [pending] = (await admin.xpending(`${prefix}:events:{product}`, 'stock')) as [number];
  admin.disconnect();

  const report = ledger.check();
  console.log(
    `${ledger.line()}; ${FLOOD} publishes during the outage: ${typed} TimeoutError, slowest ${Math.round(slowestMs)} ms; ` +
      `heap +${mib(growth)} MiB; ioredis queues max ${maxQueued}; stream length ${length}; closed while down in ${closeMs} ms`,
  );
  expect(stored).toBe(0);
  expect(typed).toBe(FLOOD);
  expect(slowestMs).toBeLessThan(COMMAND_TIMEOUT_MS + SETTLE_SLACK_MS);
  expect(maxQueued).toBe(0);
  expect(growth).toBeLessThan(HEAP_GROWTH_BOUND);
  // Nothing published during the outage was written then or later.
  expect(length).toBe(200);
  expect(report.published).toEqual({ ok: 201, failed: 0, unknown: FLOOD });
  expect(report.lost).toEqual([]);
  expect(report.unexpected).toEqual([]);
  expect(report.delivered).toBe(201);
  expect(pending).toBe(1);
  expect(report.duplicated.size).toBe(0);
}, 90_000);
