import { randomUUID } from 'node:crypto';
import { afterEach, expect, inject, it } from 'vitest';
import { EventBus, EventSubscriber, ProductEvents, redisTransport } from 'switchboard';
import type { EventSubscriberEvents } from 'switchboard';
import { Ledger } from '../support/ledger.js';
import { waitFor } from '../support/wait-for.js';
import { productCreated } from '../support/product-event.js';

// Retention with `maxLen` trims a stream whether or not every group has read
// it. What a lagging group loses that way must be counted and reported, once
// per group, never silently dropped; and no handler ever sees a trimmed entry.

const url = inject('redisUrl');
const closers: (() => unknown)[] = [];

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

const MAX_LEN = 100;
// Long enough that a live consumer's lease renewal (every claimIdleMs / 3) is
// never late on a loaded machine: a lapsed lease lets another consumer take
// the entry over, and a trimmed one is then reported lost while its live
// holder still handles it (ADR 0013: an over-report, never an under-report).
const CLAIM_IDLE_MS = 1_000;

type Trimmed = EventSubscriberEvents['trimmed'];

function open(prefix: string, maxLen?: number): EventBus {
  const bus = new EventBus({
    source: 'test',
    transport: redisTransport({ url, prefix, blockMs: 200, ...(maxLen && { maxLen }) }),
  });
  closers.push(() => bus.close());
  return bus;
}

/** Publishes products `from`..`to` in batches of 100 (each batch trims the stream), all recorded ok. */
async function publishRange(
  bus: EventBus,
  ledger: Ledger,
  from: number,
  to: number,
): Promise<void> {
  for (let start = from; start <= to; start += 100) {
    const events = [];
    for (let id = start; id <= Math.min(start + 99, to); id++) events.push(productCreated(id));
    await bus.publishMany(events);
    for (const event of events) ledger.published(String(event.data.productId), 'ok');
  }
}

function subscriber(bus: EventBus, consumer: string, reports: Trimmed[], concurrency = 1) {
  const subscriber = new EventSubscriber(bus, {
    group: 'reports',
    consumer,
    concurrency,
    claimIdleMs: CLAIM_IDLE_MS,
  });
  subscriber.events.on('trimmed', (report) => reports.push(report));
  closers.push(() => subscriber.stop({ drain: false }));
  return subscriber;
}

const sum = (reports: readonly Trimmed[], field: 'unread' | 'pending'): number =>
  reports.reduce((total, report) => total + report[field], 0);

it('a lagging group: every event trimmed before it was read is reported once across the group, the rest delivered', async () => {
  const prefix = `retention-${randomUUID()}`;
  const publisher = open(prefix, MAX_LEN);
  const ledger = new Ledger();
  const reports: Trimmed[] = [];
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const seen: unknown[] = [];

  const consumers = ['a', 'b'].map((name) => {
    const consumer = subscriber(open(prefix), name, reports);
    consumer.on(ProductEvents.created, async (event) => {
      seen.push(event.data);
      await gate;
      ledger.delivered(String(event.data.productId), name);
    });
    return consumer;
  });
  for (const consumer of consumers) await consumer.start();

  // The group reads one event per consumer, then falls behind: the stream is
  // trimmed to about MAX_LEN far past its position.
  await publishRange(publisher, ledger, 1, 2_000);
  release();

  const accounted = (): number => ledger.check().delivered + sum(reports, 'unread');
  await waitFor('every event delivered or reported trimmed', 15_000, () => accounted() >= 2_000);
  // Let both consumers look again: a loss must not be reported twice.
  await new Promise((resolve) => setTimeout(resolve, 3 * CLAIM_IDLE_MS));

  const report = ledger.check();
  console.log(`${ledger.line()}; reported trimmed: ${sum(reports, 'unread')} unread`);
  expect(report.lost.length).toBeGreaterThan(1_000);
  expect(sum(reports, 'unread')).toBe(report.lost.length);
  expect(sum(reports, 'pending')).toBe(0);
  expect(report.duplicated.size).toBe(0);
  expect(report.unexpected).toEqual([]);
  // Every handler call had a whole event.
  expect(seen).toHaveLength(report.delivered);
  expect(seen.every((data) => ProductEvents.created.schema.safeParse(data).success)).toBe(true);
  // The lag leaves out what the group will never read.
  await waitFor('lag back to 0', 5_000, () => consumers.every((c) => c.health().lag === 0));
  expect(consumers.reduce((total, c) => total + c.health().trimmed, 0)).toBe(report.lost.length);
}, 30_000);

it("a dead consumer's pending events trimmed before anyone took them over are reported as pending", async () => {
  const prefix = `retention-${randomUUID()}`;
  const publisher = open(prefix, MAX_LEN);
  const ledger = new Ledger();
  const reports: Trimmed[] = [];

  // It reads five events and dies holding them (stopped without draining).
  const doomedBus = open(prefix);
  const doomed = subscriber(doomedBus, 'doomed', reports, 5);
  let started = 0;
  doomed.on(ProductEvents.created, async (_event, { signal }) => {
    started += 1;
    await new Promise((resolve) => {
      signal.addEventListener('abort', resolve);
    });
    throw new Error('died');
  });
  await doomed.start();
  await publishRange(publisher, ledger, 1, 5);
  await waitFor('five handlers running', 5_000, () => started === 5);
  await doomed.stop({ drain: false });

  // Trimming removes them while they are still pending.
  await publishRange(publisher, ledger, 6, 1_005);

  const heir = subscriber(open(prefix), 'heir', reports, 4);
  heir.on(ProductEvents.created, (event) => {
    ledger.delivered(String(event.data.productId), 'heir');
  });
  await heir.start();
  const accounted = (): number =>
    ledger.check().delivered + sum(reports, 'unread') + sum(reports, 'pending');
  await waitFor('every event delivered or reported trimmed', 15_000, () => accounted() >= 1_005);
  await new Promise((resolve) => setTimeout(resolve, 3 * CLAIM_IDLE_MS));

  const report = ledger.check();
  console.log(
    `${ledger.line()}; reported trimmed: ${sum(reports, 'unread')} unread, ${sum(reports, 'pending')} pending`,
  );
  expect(sum(reports, 'pending')).toBe(5);
  expect(sum(reports, 'unread') + sum(reports, 'pending')).toBe(report.lost.length);
  expect(report.duplicated.size).toBe(0);
  expect(report.unexpected).toEqual([]);
}, 30_000);

it('reports nothing when nothing a group needed was trimmed', async () => {
  const prefix = `retention-${randomUUID()}`;
  const publisher = open(prefix, MAX_LEN);
  const ledger = new Ledger();
  const reports: Trimmed[] = [];
  const consumer = subscriber(open(prefix), 'keeps-up', reports, 10);
  consumer.on(ProductEvents.created, (event) => {
    ledger.delivered(String(event.data.productId), 'keeps-up');
  });
  await consumer.start();
  // Slower than the group reads: each batch is read before the next trims.
  for (let start = 1; start <= 500; start += 50) {
    await publishRange(publisher, ledger, start, start + 49);
    await waitFor('the batch read', 5_000, () => ledger.check().delivered === start + 49);
  }
  await new Promise((resolve) => setTimeout(resolve, 3 * CLAIM_IDLE_MS));
  expect(ledger.check().lost).toEqual([]);
  expect(reports).toEqual([]);
  expect(consumer.health()).toMatchObject({ lag: 0, trimmed: 0 });
}, 30_000);
