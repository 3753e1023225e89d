import {
  EventBus,
  EventSubscriber,
  ProductEvents,
  encodeEvent,
  memoryTransport,
  type EventTransport,
  type SubscriptionSpec,
} from 'switchboard';
// mitt's typings need one cast under NodeNext; the library keeps it in one place.
import { createMitt } from '../src/internal/mitt.js';
import { alternate } from './lib/alternate.js';
import { PromotionMeter } from './lib/heap.js';
import { cpuMicros, medianThroughput, throughputRow, within, type Throughput } from './lib/load.js';
import type { Measurement } from './lib/measure.js';
import type { SuiteResult } from './lib/report.js';
import type { RunScale } from './lib/scale.js';
import { Counter, publishInWindows } from './lib/window.js';

// The in-process bus (the demo's and consumers' tests' transport) next to
// mitt, the emitter its broadcast mode is built on: events a second from
// publish to handler, in one process.

const TOPIC = 'product';
const DATA = { productId: 1, name: 'Fountain pen', price: 12.5, createdBy: 7, category: 'office' };
/** Events published before waiting for their handlers: the same window for every lane. */
const WINDOW = 1_000;
const TARGET_PER_SEC = 1_000_000;

/** One way of moving events from a publisher to a handler in one process. */
type Lane = {
  readonly name: string;
  /** Publishes event `index`; returns nothing when the publish is synchronous. */
  publish(index: number): Promise<unknown> | undefined;
  counter: Counter;
  close(): Promise<void>;
};

export async function memoryBusSuite(scale: RunScale): Promise<SuiteResult[]> {
  const count = scale.pick(100_000, 5_000);
  const rounds = scale.pick(3, 1);
  const json = encodeEvent(ProductEvents.created.create(DATA, { source: 'bench' }));
  const mitt = mittLane(json);
  const broadcast = await transportLane('memoryTransport, broadcast', 'broadcast', json);
  const durable = await transportLane('memoryTransport, durable group', 'durable', json);
  const lanes: Lane[] = [mitt, broadcast, durable];
  const measure = (contenders: readonly Lane[]): Promise<Throughput[][]> =>
    alternate(contenders, (lane) => round(lane, count), { rounds });
  const row = (name: string, samples: readonly Throughput[] = []): Measurement =>
    throughputRow(name, samples, { opsPerRound: count, per: 'event' });
  try {
    // First the transport alone: nothing in this process has used
    // AsyncLocalStorage yet (the suite runs in a process of its own).
    const bare = await measure(lanes);
    const [, broadcastRate, durableRate] = bare.map((samples) => medianThroughput(samples).perSec);
    const verdict = (perSec = NaN): string =>
      `${Math.round(perSec).toLocaleString('en')}/s (${perSec >= TARGET_PER_SEC ? 'met' : 'NOT met'})`;
    // Then the bus, whose correlation context is an AsyncLocalStorage: on
    // Node 20 that turns on promise hooks for the whole process, for good.
    const bus = await busLane();
    lanes.push(bus);
    const withBus = await measure([mitt, bus, broadcast, durable]);
    const lanesNote = `Every lane moves the same ${json.length}-byte encoded event ${count.toLocaleString('en')} times a round, ${WINDOW.toLocaleString('en')} published before waiting for their handlers; a handler counts it.`;
    return [
      {
        suite: 'In-memory transport: publish → handler, no validation',
        baseline: mitt.name,
        rows: lanes.slice(0, 3).map((lane, i) => row(lane.name, bare[i])),
        notes: [
          `${lanesNote} mitt: emit; its handler runs synchronously. memoryTransport carries strings and validates nothing: publish returns a promise; the broadcast handler runs from a per-subscriber queue, the durable one from a consumer group (one delivery per group, acknowledged when the handler returns or its promise resolves, redelivered if it rejects), concurrency 100; like mitt's, each handler counts the event and returns at once. Measured before anything in the process used AsyncLocalStorage.`,
          `Target: ≥ ${TARGET_PER_SEC.toLocaleString('en')} events/s without validation. This run: broadcast ${verdict(broadcastRate)}, durable ${verdict(durableRate)}.`,
        ],
      },
      {
        suite: 'In-memory bus: EventBus → EventSubscriber, validated',
        baseline: mitt.name,
        rows: [
          row(mitt.name, withBus[0]),
          row(bus.name, withBus[1]),
          row(`· ${broadcast.name}, AsyncLocalStorage in use`, withBus[2]),
          row(`· ${durable.name}, AsyncLocalStorage in use`, withBus[3]),
        ],
        notes: [
          `${lanesNote} EventBus → EventSubscriber is what users get: ProductEvents.created.create (data schema, id, time, correlation, traceparent), envelope encoding, then decoding, the envelope and data schemas checked on receipt, the handler run in the event's correlation context. Rows marked · are the transport rows above measured again now that the process uses AsyncLocalStorage (the correlation context): on Node 20 every promise then pays for async hooks.`,
        ],
      },
    ];
  } finally {
    for (const lane of lanes) await lane.close();
  }
}

/** `count` events in windows (broadcast queues drop beyond 1,000 waiting). */
async function round(lane: Lane, count: number): Promise<Throughput> {
  lane.counter = new Counter();
  const promotion = new PromotionMeter();
  promotion.start();
  const cpu = process.cpuUsage();
  const started = performance.now();
  const work = publishInWindows((index) => lane.publish(index), lane.counter, {
    from: 0,
    to: count,
    window: WINDOW,
  });
  await within(work, 120_000, lane.name);
  const perSec = count / ((performance.now() - started) / 1000);
  const cpuUs = cpuMicros(cpu) / count;
  return { perSec, cpuUs, promoted: promotion.stop() / count };
}

function mittLane(json: string): Lane {
  const emitter = createMitt<{ product: string }>();
  const lane: Lane = {
    name: 'mitt emit (raw)',
    counter: new Counter(),
    publish: () => {
      emitter.emit(TOPIC, json);
      return undefined;
    },
    close: () => {
      emitter.all.clear();
      return Promise.resolve();
    },
  };
  emitter.on(TOPIC, () => {
    lane.counter.hit();
  });
  return lane;
}

async function transportLane(
  name: string,
  mode: SubscriptionSpec['mode'],
  json: string,
): Promise<Lane> {
  const transport: EventTransport = memoryTransport();
  const lane: Lane = {
    name,
    counter: new Counter(),
    publish: () => transport.publish(TOPIC, json),
    close: () => transport.close(),
  };
  await transport.subscribe(
    {
      topics: [TOPIC],
      mode,
      group: 'bench',
      consumer: 'c1',
      concurrency: 100,
      maxDeliveries: 5,
      retryDelayMs: () => 100,
      claimIdleMs: 30_000,
      start: 'latest',
    },
    // Returns at once, like mitt's: no promise to wait for (ADR 0024).
    () => {
      lane.counter.hit();
    },
  );
  return lane;
}

async function busLane(): Promise<Lane> {
  const bus = new EventBus({ source: 'bench', transport: memoryTransport() });
  const subscriber = new EventSubscriber(bus, { group: 'bench', consumer: 'c1', concurrency: 100 });
  const lane: Lane = {
    name: 'EventBus → EventSubscriber (validated)',
    counter: new Counter(),
    publish: (index) =>
      bus.publish(ProductEvents.created.create({ ...DATA, productId: index + 1 })),
    async close() {
      await subscriber.stop();
      await bus.close();
    },
  };
  subscriber.on(ProductEvents.created, () => {
    lane.counter.hit();
  });
  await subscriber.start();
  return lane;
}
