import { randomUUID } from 'node:crypto';
import { afterEach, expect, inject, it } from 'vitest';
import { EventBus, EventSubscriber, ProductEvents, redisTransport } from 'switchboard';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { Ledger } from '../support/ledger.js';
import { waitFor } from '../support/wait-for.js';
import { productCreated } from '../support/product-event.js';

// The consumer's connections go silent (no FIN, no RST: a dead peer), while
// the publisher keeps publishing. The blocking read must notice within its
// BLOCK time plus the command timeout and reconnect instead of waiting for
// ever; once the network is back, consumption resumes and nothing is lost.

const url = inject('redisUrl');
const closers: (() => unknown)[] = [];

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

const BLOCK_MS = 300;
const COMMAND_TIMEOUT_MS = 700;

/** A fault proxy in front of the test's Redis, and a bus whose transport goes through it. */
async function busThroughProxy(prefix: string): Promise<{ proxy: FaultProxy; bus: EventBus }> {
  const { port } = new URL(url);
  const proxy = await startFaultProxy({ port: Number(port) });
  closers.push(() => proxy.close());
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
  return { proxy, bus };
}

it('a consumer link gone silent is detected within BLOCK + the command timeout, and consumption resumes with nothing lost', async () => {
  const prefix = `silent-${randomUUID()}`;
  const publisher = new EventBus({ source: 'test', transport: redisTransport({ url, prefix }) });
  closers.push(() => publisher.close());
  const { proxy, bus: consumerBus } = await busThroughProxy(prefix);
  const subscriber = new EventSubscriber(consumerBus, {
    group: 'stock',
    consumer: 'c1',
    claimIdleMs: 2_000,
  });
  const ledger = new Ledger();
  subscriber.on(ProductEvents.created, (event) => {
    ledger.delivered(event.id, 'c1');
  });
  await subscriber.start();
  closers.push(() => subscriber.stop({ drain: false }));

  let productId = 0;
  const publish = async (count: number): Promise<void> => {
    for (let i = 0; i < count; i++) {
      const event = productCreated(++productId);
      await ledger.track(event.id, publisher.publish(event));
    }
  };
  await publish(50);
  await waitFor('the first 50', 5_000, () => ledger.check().delivered === 50);

  await proxy.set({ kind: 'black-hole' });
  ledger.fault('black-hole');
  const accepted = proxy.stats().accepted;
  const silentAt = Date.now();
  await publish(50);
  // Detected: the reader drops its silent connection and dials again.
  await waitFor('a reconnection attempt', BLOCK_MS + COMMAND_TIMEOUT_MS + 2_000, () => {
    return proxy.stats().accepted > accepted;
  });
  const detectedMs = Date.now() - silentAt;
  expect((await consumerBus.health()).lastError).toMatch(/no reply within|timed out|took longer/);
  // Health says so while the link stays silent.
  await waitFor(
    'health to show the subscriber cut off',
    5_000,
    () => !subscriber.health().connected,
  );

  // The network is back; connections that stayed silent die, as TCP's own
  // timers would end them in the end.
  await proxy.set({ kind: 'pass' });
  await proxy.resetAll();
  ledger.fault('healed');
  await waitFor('every event', 20_000, () => ledger.check().lost.length === 0);
  await waitFor('health to show it reading again', 5_000, () => subscriber.health().connected);
  const report = ledger.check();
  console.log(`${ledger.line()}; silence detected after ${detectedMs} ms`);
  expect(report.published.ok).toBe(100);
  expect(report.lost).toEqual([]);
  expect(report.unexpected).toEqual([]);
  const healed = report.resumeMs.find(({ fault }) => fault === 'healed');
  expect(healed?.ms).toBeDefined();
  expect(healed?.ms ?? Infinity).toBeLessThan(10_000);
}, 60_000);

it('a connection that stays silent after the reconnect is dropped again, and again', async () => {
  const { proxy, bus } = await busThroughProxy(`silent-again-${randomUUID()}`);
  const subscriber = new EventSubscriber(bus, { group: 'stock', consumer: 'c1' });
  subscriber.on(ProductEvents.created, () => undefined);
  await subscriber.start();
  closers.push(() => subscriber.stop({ drain: false }));
  // Reading: each read ends after BLOCK and the next one is sent.
  await new Promise((resolve) => setTimeout(resolve, 2 * BLOCK_MS));
  const silentAfterMs = BLOCK_MS + COMMAND_TIMEOUT_MS;

  // Commands still reach Redis, its replies never come back: the read goes
  // silent, then each new connection's handshake does (ioredis's own
  // connectTimeout ends at the TCP connect). Each must be dropped in turn.
  const accepted = proxy.stats().accepted;
  const silentAt = Date.now();
  await proxy.set({ kind: 'drop-replies' });
  const drops: number[] = [];
  await waitFor('three drops', 4 * silentAfterMs + 3_000, () => {
    const seen = proxy.stats().accepted - accepted;
    while (drops.length < seen) drops.push(Date.now() - silentAt);
    return drops.length >= 3;
  });
  // Each after the command's allowance, not sooner: no storm of reconnections.
  const [first = 0, second = 0, third = 0] = drops;
  expect(first).toBeGreaterThanOrEqual(silentAfterMs - 2 * BLOCK_MS);
  expect(second - first).toBeGreaterThanOrEqual(silentAfterMs - 50);
  expect(third - second).toBeGreaterThanOrEqual(silentAfterMs - 50);
  expect((await bus.health()).lastError).toMatch(/no reply within/);
}, 30_000);
