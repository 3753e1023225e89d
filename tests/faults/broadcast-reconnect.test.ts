import { randomUUID } from 'node:crypto';
import { afterEach, expect, inject, it } from 'vitest';
import {
  EventBus,
  EventSubscriber,
  ProductEvents,
  redisTransport,
  type EventSubscriberEvents,
} from 'switchboard';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { Ledger } from '../support/ledger.js';
import { waitFor } from '../support/wait-for.js';
import { productCreated } from '../support/product-event.js';

// A broadcast subscriber (XREAD, no consumer group) whose connections are
// reset and then black-holed through a fault proxy while events keep coming.
// It must reconnect by itself and resume after the last entry it read, so
// nothing the stream still holds is missed; and what it cannot deliver
// because trimming (maxLen) removed it first must be counted and reported
// (`trimmed` on subscriber.events, health().trimmed), never hidden (ADR 0020).

const url = inject('redisUrl');
const closers: (() => unknown)[] = [];

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

const BLOCK_MS = 200;
const COMMAND_TIMEOUT_MS = 500;
/** Silence is noticed after BLOCK + the command timeout; this is well past it. */
const BLACK_HOLE_MS = 1_500;

type Trimmed = EventSubscriberEvents['trimmed'];

async function setUp(maxLen?: number) {
  const prefix = `broadcast-${randomUUID()}`;
  const { port } = new URL(url);
  const proxy = await startFaultProxy({ port: Number(port) });
  closers.push(() => proxy.close());
  const publisher = new EventBus({
    source: 'test',
    transport: redisTransport({ url, prefix, ...(maxLen === undefined ? {} : { maxLen }) }),
  });
  closers.push(() => publisher.close());
  const bus = new EventBus({
    source: 'test',
    transport: redisTransport({
      url: proxy.url,
      prefix,
      blockMs: BLOCK_MS,
      commandTimeoutMs: COMMAND_TIMEOUT_MS,
    }),
  });
  closers.push(() => bus.close());
  const subscriber = new EventSubscriber(bus, {
    group: 'screens',
    consumer: 'screen-1',
    mode: 'broadcast',
    concurrency: 10,
    claimIdleMs: 1_000,
  });
  const ledger = new Ledger();
  const trimmed: Trimmed[] = [];
  let reconnected = 0;
  subscriber.on(ProductEvents.created, (event) => {
    ledger.delivered(event.id, 'screen-1');
  });
  subscriber.events.on('trimmed', (report) => trimmed.push(report));
  subscriber.events.on('reconnected', () => {
    reconnected += 1;
  });
  await subscriber.start();
  closers.push(() => subscriber.stop({ drain: false }));

  let productId = 0;
  const publish = async (count: number): Promise<void> => {
    for (let i = 0; i < count; i += 50) {
      const events = Array.from({ length: Math.min(50, count - i) }, () =>
        productCreated(++productId),
      );
      await publisher.publishMany(events);
      for (const event of events) ledger.published(event.id, 'ok');
    }
  };
  return {
    proxy,
    subscriber,
    ledger,
    trimmed,
    publish,
    reconnections: () => reconnected,
    reported: () => trimmed.reduce((sum, report) => sum + report.unread + report.pending, 0),
  };
}

/** A network that went silent comes back; connections that stayed silent die, as TCP would end them. */
async function heal(proxy: FaultProxy): Promise<void> {
  await proxy.set({ kind: 'pass' });
  await proxy.resetAll();
}

it('a broadcast subscriber resumes by itself after resets and a silent link, missing nothing the stream still holds', async () => {
  const { proxy, subscriber, ledger, trimmed, publish, reconnections } = await setUp();
  await publish(100);
  await waitFor('the first 100', 10_000, () => ledger.check().delivered === 100);

  for (let reset = 1; reset <= 3; reset++) {
    ledger.fault(`reset-${reset}`);
    await proxy.resetAll();
    await publish(100);
    await waitFor(`delivery after reset ${reset}`, 10_000, () => ledger.check().lost.length === 0);
  }
  await proxy.set({ kind: 'black-hole' });
  ledger.fault('black-hole');
  const accepted = proxy.stats().accepted;
  const silentUntil = Date.now() + BLACK_HOLE_MS;
  while (Date.now() < silentUntil) {
    await publish(50);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect(proxy.stats().accepted).toBeGreaterThan(accepted); // it noticed, and dialled again
  await heal(proxy);
  ledger.fault('healed');
  await publish(100);

  await waitFor('every event', 20_000, () => ledger.check().lost.length === 0);
  const report = ledger.check();
  console.log(`${ledger.line()}; ${reconnections()} reconnections; trimmed reported 0`);
  expect(report.lost).toEqual([]);
  expect(report.unexpected).toEqual([]);
  expect(report.duplicated.size).toBe(0);
  expect(reconnections()).toBeGreaterThanOrEqual(1);
  expect(trimmed).toEqual([]);
  expect(subscriber.health().trimmed).toBe(0);
}, 60_000);

it('what trimming removed while a broadcast subscriber was cut off is counted and reported, exactly', async () => {
  const { proxy, subscriber, ledger, trimmed, publish, reported, reconnections } = await setUp(100);
  await publish(50);
  await waitFor('the first 50', 10_000, () => ledger.check().delivered === 50);

  await proxy.set({ kind: 'black-hole' });
  ledger.fault('black-hole');
  // Far more than maxLen while it cannot read: most of it is trimmed.
  await publish(2_000);
  await new Promise((resolve) => setTimeout(resolve, BLOCK_MS + COMMAND_TIMEOUT_MS));
  await heal(proxy);
  ledger.fault('healed');
  await publish(50);

  const settled = (): boolean => ledger.check().lost.length === reported();
  await waitFor('every event delivered or reported', 20_000, settled);
  // Another round of counting: nothing is reported twice.
  await new Promise((resolve) => setTimeout(resolve, 1_200));
  const report = ledger.check();
  console.log(
    `${ledger.line()}; ${reconnections()} reconnections; trimmed reported ${reported()} in ${trimmed.length} report(s)`,
  );
  expect(report.published.ok).toBe(2_100);
  // Every ok publish not delivered is one the subscriber reported, and no more.
  expect(report.lost.length).toBe(reported());
  expect(reported()).toBeGreaterThan(1_000);
  expect(report.unexpected).toEqual([]);
  expect(report.duplicated.size).toBe(0);
  expect(subscriber.health().trimmed).toBe(reported());
  expect(trimmed.every((r) => r.topic === 'product' && r.pending === 0)).toBe(true);
  expect(trimmed.every((r) => r.group === 'screens' && r.consumer === 'screen-1')).toBe(true);
}, 60_000);
