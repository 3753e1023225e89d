import { randomUUID } from 'node:crypto';
import { afterEach, expect, inject, it } from 'vitest';
import { EventBus, redisTransport } from 'switchboard';
import {
  startConsumerProcess,
  type ConsumerProcess,
  type ConsumerProcessConfig,
  type ConsumerReport,
} from '../support/consumer-process.js';
import { Ledger } from '../support/ledger.js';
import { waitFor } from '../support/wait-for.js';
import { productCreated } from '../support/product-event.js';

// A consumer process is SIGKILLed holding events, and comes back under the
// same name (a restarted pod with a stable name). It must first take back what
// it held (its own pending entries, from its pending history) and only then
// read anything new: entries published while it was down and after it came
// back wait behind them. claimIdleMs is a minute, so the held events cannot
// be coming back through the take-over of idle entries.

const url = inject('redisUrl');
const closers: (() => unknown)[] = [];

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

const CONCURRENCY = 4;

// With dedupe on, the first life claimed the ids of the events it held
// (a lease of claimIdleMs, a minute here) before the kill: the second life
// must not take its own earlier claims for another consumer's and
// acknowledge those events unhandled.
it.each([
  ['without dedupe', undefined],
  ['with dedupe', 10 * 60_000],
] as const)(
  'a consumer restarted under its name handles its own pending entries before any new one (%s)',
  async (_, dedupeTtlMs) => {
    const prefix = `same-name-${randomUUID()}`;
    const publisher = new EventBus({ source: 'test', transport: redisTransport({ url, prefix }) });
    closers.push(() => publisher.close());
    const ledger = new Ledger();
    const publish = async (from: number, to: number): Promise<string[]> => {
      const ids: string[] = [];
      for (let productId = from; productId <= to; productId++) {
        const event = productCreated(productId);
        ids.push(event.id);
        await ledger.track(event.id, publisher.publish(event));
      }
      return ids;
    };
    const config: ConsumerProcessConfig = {
      url,
      prefix,
      group: 'stock',
      consumer: 'worker-1',
      concurrency: CONCURRENCY,
      claimIdleMs: 60_000,
      blockMs: 200,
      commandTimeoutMs: 2_000,
      handlerMs: 10,
      ...(dedupeTtlMs === undefined ? {} : { dedupeTtlMs }),
    };
    const start = async (
      life: string,
      overrides: Partial<ConsumerProcessConfig>,
      runs: ConsumerReport[],
    ): Promise<ConsumerProcess> => {
      const child = await startConsumerProcess({ ...config, ...overrides }, (report) => {
        if (report.kind === 'run') runs.push(report);
        // Delivered once handled: a handler cut short by the kill delivered nothing.
        if (report.kind === 'done') ledger.delivered(report.id, life);
      });
      closers.push(() => child.kill());
      return child;
    };

    // First life: every handler hangs, so the kill lands with CONCURRENCY events held.
    const firstRuns: ConsumerReport[] = [];
    const first = await start('first life', { stallAfter: 1 }, firstRuns);
    await publish(1, 10);
    await waitFor('the first life holding a full set of events', 10_000, () => {
      return firstRuns.length === CONCURRENCY;
    });
    await first.kill();
    ledger.fault('SIGKILL');
    const held = new Set(firstRuns.map((run) => (run.kind === 'run' ? run.id : '')));

    await publish(11, 15); // while it is down
    const secondRuns: ConsumerReport[] = [];
    await start('second life', {}, secondRuns);
    const afterRestart = await publish(16, 20);
    await waitFor('every event handled', 15_000, () => ledger.check().lost.length === 0);

    const report = ledger.check();
    console.log(`${dedupeTtlMs === undefined ? 'without' : 'with'} dedupe: ${ledger.line()}`);
    expect(report.published.ok).toBe(20);
    expect(report.lost).toEqual([]);
    expect(report.unexpected).toEqual([]);
    expect(report.duplicated.size).toBe(0);
    const order = secondRuns.map((run) => (run.kind === 'run' ? [run.id, run.deliveryCount] : []));
    // The first runs of the second life are exactly what the first held, as redeliveries…
    expect(new Set(order.slice(0, CONCURRENCY).map(([id]) => id))).toEqual(held);
    expect(order.slice(0, CONCURRENCY).every(([, count]) => count === 2)).toBe(true);
    // …and everything after them is new to the group, whenever it was published.
    expect(
      order.slice(CONCURRENCY).every(([id, count]) => !held.has(String(id)) && count === 1),
    ).toBe(true);
    const position = (id: string): number => order.findIndex(([run]) => run === id);
    for (const id of afterRestart) expect(position(id)).toBeGreaterThanOrEqual(CONCURRENCY);
  },
  60_000,
);
