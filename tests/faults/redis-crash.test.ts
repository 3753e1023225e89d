import { randomUUID } from 'node:crypto';
import { afterEach, expect, it } from 'vitest';
import {
  EventBus,
  EventSubscriber,
  ProductEvents,
  SystemEvents,
  redisTransport,
} from 'switchboard';
import { startRedisServer } from 'switchboard/testing';
import { firstPong } from '../support/first-pong.js';
import { Ledger } from '../support/ledger.js';
import { waitFor } from '../support/wait-for.js';
import { productCreated } from '../support/product-event.js';

// Redis is SIGKILLed mid-stream and restarted on its append-only file while
// 100 publishers publish faster than the two consumers of one group handle,
// so thousands of acknowledged events wait in the stream at the kill.
//
// - `appendfsync always`: Redis replies only once the write is on disk, so
//   every acknowledged publish must be delivered.
// - `appendfsync everysec` (Redis's default): the write reaches the file (the
//   kernel's page cache) before the reply, and is fsynced within the second.
//   A process crash (SIGKILL, as here) leaves the page cache to the kernel,
//   which keeps it; only a machine crash loses the writes not yet fsynced.
//   What the test can assert, and does: whatever is lost was acknowledged
//   within the fsync window before the kill (one second, plus the second
//   Redis may postpone a write while an fsync is slow); the ledger line
//   reports it.
//
// Either way the consumers must resume within 2 s of the restarted Redis
// answering PING: measured to the delivery of a probe event published after
// that moment by a publisher that connects only then, on a topic of its own
// (the subscribers read it beside the backlog, so draining the backlog is
// not counted as the time to resume).

const closers: (() => unknown)[] = [];

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

const PUBLISHERS = 100;
/** Each publisher's pause between publishes. */
const PAUSE_MS = 20;
/** Each handler's work: two consumers of 10 slots handle at most 2,000 events a second. */
const HANDLER_MS = 10;
const RESUME_BOUND_MS = 2_000;
/** The everysec loss window before the kill: one fsync period, plus one of postponed writes. */
const EVERYSEC_WINDOW_MS = 2_000;

it.each(['always', 'everysec'] as const)(
  'Redis SIGKILLed and restarted with appendfsync %s under 100 publishers and a backlog: acknowledged events survive, consumers resume within 2 s',
  async (fsync) => {
    const server = await startRedisServer({ appendOnly: true, args: ['--appendfsync', fsync] });
    closers.push(() => server.stop());
    const prefix = `crash-${randomUUID()}`;
    const ledger = new Ledger();
    let probeAt: number | undefined;
    let deliveries = 0;
    const open = (): EventBus => {
      const bus = new EventBus({
        source: 'test',
        transport: redisTransport({
          url: server.url,
          prefix,
          blockMs: 200,
          commandTimeoutMs: 1_000,
        }),
      });
      closers.push(() => bus.close());
      return bus;
    };
    for (const consumer of ['c1', 'c2']) {
      const subscriber = new EventSubscriber(open(), {
        group: 'stock',
        consumer,
        concurrency: 10,
        claimIdleMs: 1_000,
      });
      subscriber.on(ProductEvents.created, async (event) => {
        ledger.delivered(event.id, consumer);
        deliveries += 1;
        await new Promise((resolve) => setTimeout(resolve, HANDLER_MS));
      });
      subscriber.on(SystemEvents.healthCheck, () => {
        probeAt ??= Date.now();
      });
      await subscriber.start();
      closers.push(() => subscriber.stop({ drain: false }));
    }

    const publisher = open();
    let productId = 0;
    let stop = false;
    let acknowledged = 0;
    const publishing = Array.from({ length: PUBLISHERS }, async () => {
      for (let i = 0; i < 10_000 && !stop; i++) {
        const event = productCreated(++productId);
        const { outcome } = await ledger.track(event.id, publisher.publish(event));
        if (outcome === 'ok') acknowledged += 1;
        await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
      }
    });

    await waitFor('publishing ahead of the consumers', 20_000, () => acknowledged >= 4_000);
    const killAt = Date.now();
    // Not ledger.check(): publishes are still in flight.
    const backlog = acknowledged - deliveries;
    ledger.fault('SIGKILL');
    await server.restart(); // SIGKILL, then the same port and append-only file
    const pingAt = await firstPong(server.url);
    ledger.fault('PING');
    // A publisher that connects only now: its event is sure to be post-restart.
    await open().publish(SystemEvents.healthCheck.create({ service: 'probe', status: 'healthy' }));
    await waitFor('the probe published after the restart delivered', 10_000, () => {
      return probeAt !== undefined;
    });
    const resumedMs = (probeAt ?? Infinity) - pingAt;
    await new Promise((resolve) => setTimeout(resolve, 500));
    stop = true;
    await Promise.all(publishing);
    await ledger.settled();

    // Delivered, or gone for good: wait until deliveries stop coming.
    let last = -1;
    let stableSince = Date.now();
    await waitFor('deliveries to settle', 40_000, () => {
      const { delivered, lost } = ledger.check();
      if (lost.length === 0) return true;
      if (delivered !== last) [last, stableSince] = [delivered, Date.now()];
      return Date.now() - stableSince > 3_000;
    });

    const report = ledger.check();
    const lostAgeMs = report.lost.map((id) => killAt - (ledger.publishedAt(id) ?? 0));
    console.log(
      `appendfsync ${fsync}: ${ledger.line()}; ${backlog} acknowledged and undelivered at the kill; ` +
        `consumers resumed ${resumedMs} ms after PING; lost ` +
        (lostAgeMs.length === 0
          ? 'none'
          : `${lostAgeMs.length}, acknowledged ${Math.min(...lostAgeMs)}–${Math.max(...lostAgeMs)} ms before the kill`),
    );
    // The kill must land with acknowledged events still waiting, or it proves nothing.
    expect(backlog).toBeGreaterThan(100);
    expect(report.unexpected).toEqual([]);
    if (fsync === 'always') expect(report.lost).toEqual([]);
    for (const age of lostAgeMs) expect(age).toBeLessThanOrEqual(EVERYSEC_WINDOW_MS);
    expect(resumedMs).toBeLessThanOrEqual(RESUME_BOUND_MS);
  },
  120_000,
);
