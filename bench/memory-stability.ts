import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import {
  EventBus,
  EventSubscriber,
  ProductEvents,
  ServiceClient,
  ServiceRegistry,
  memoryTransport,
} from 'switchboard';
import { startJsonServer } from './lib/json-server.js';
import { within } from './lib/load.js';
import type { Measurement } from './lib/measure.js';
import type { SuiteResult } from './lib/report.js';
import type { RunScale } from './lib/scale.js';
import { Counter, publishInWindows } from './lib/window.js';

// Long runs through the full stack: does the heap come back to where it
// started, and does close() leave no handle (timer, socket) behind?
// Needs `node --expose-gc`, which `npm run bench` passes.

const TARGET_BYTES = 10 * 2 ** 20;
const DATA = { productId: 1, name: 'Fountain pen', price: 12.5, createdBy: 7, category: 'office' };
const User = z.object({ id: z.number(), email: z.string(), username: z.string() });
const CONCURRENCY = 50;

type HeapPoint = { readonly name: string; readonly bytes: number };

export async function memoryStabilitySuite(scale: RunScale): Promise<SuiteResult[]> {
  if (globalThis.gc === undefined) {
    return [
      {
        suite: 'Memory stability',
        baseline: '',
        rows: [],
        notes: ['Skipped: run under `node --expose-gc` (`npm run bench` does).'],
      },
    ];
  }
  return [await events(scale.pick(1_000_000, 5_000)), await http(scale.pick(100_000, 500))];
}

async function events(count: number): Promise<SuiteResult> {
  const before = activeResources();
  const points: HeapPoint[] = [{ name: 'heap at start', bytes: await settledHeap() }];
  const bus = new EventBus({ source: 'bench', transport: memoryTransport() });
  const subscriber = new EventSubscriber(bus, { group: 'bench', consumer: 'c1', concurrency: 100 });
  const counter = new Counter();
  subscriber.on(ProductEvents.created, () => {
    counter.hit();
  });
  await subscriber.start();
  const publish = (index: number): Promise<unknown> =>
    bus.publish(ProductEvents.created.create({ ...DATA, productId: index + 1 }));
  const warm = Math.ceil(count / 10);
  const window = 1_000;
  await within(
    publishInWindows(publish, counter, { from: 0, to: warm, window }),
    600_000,
    'events',
  );
  points.push({ name: `after ${warm.toLocaleString('en')} events`, bytes: await settledHeap() });
  await within(
    publishInWindows(publish, counter, { from: warm, to: count, window }),
    600_000,
    'events',
  );
  points.push({ name: `after ${count.toLocaleString('en')} events`, bytes: await settledHeap() });
  await subscriber.stop();
  await bus.close();
  points.push({ name: 'after close()', bytes: await settledHeap() });
  return result(
    `Memory: ${count.toLocaleString('en')} events through EventBus → EventSubscriber on memoryTransport`,
    points,
    leftBehind(before, activeResources()),
    'Each event created (data schema), published, decoded, validated and handled by a durable group subscriber (concurrency 100), in windows of 1,000. The memory transport keeps the last 10,000 events of a topic (`maxLenPerTopic`) by design: most of the growth is that log, full after the warm-up.',
  );
}

async function http(count: number): Promise<SuiteResult> {
  const server = await startJsonServer();
  try {
    const before = activeResources();
    const points: HeapPoint[] = [{ name: 'heap at start', bytes: await settledHeap() }];
    // As users set it up: registry with its health monitor, client with its defaults.
    const registry = ServiceRegistry.fromConfig({ bench: server.origin });
    const client = new ServiceClient('bench', { registry });
    let next = 0;
    const callUntil = async (to: number): Promise<void> => {
      const worker = async (): Promise<void> => {
        while (next < to) {
          next += 1;
          await client.get('/users/1', { schema: User });
        }
      };
      await within(Promise.all(Array.from({ length: CONCURRENCY }, worker)), 600_000, 'calls');
    };
    const warm = Math.ceil(count / 10);
    await callUntil(warm);
    points.push({ name: `after ${warm.toLocaleString('en')} calls`, bytes: await settledHeap() });
    await callUntil(count);
    points.push({
      name: `after ${count.toLocaleString('en')} calls`,
      bytes: await settledHeap(),
    });
    await client.close();
    await registry.close();
    points.push({ name: 'after close()', bytes: await settledHeap() });
    return result(
      `Memory: ${count.toLocaleString('en')} HTTP calls through ServiceClient, ${CONCURRENCY} in flight`,
      points,
      leftBehind(before, activeResources()),
      'Each call resolves the instance in the registry (health monitor on), goes through the breaker and retry policy, and validates the JSON body against a zod schema; the server runs in its own process.',
    );
  } finally {
    server.stop();
  }
}

/**
 * The used heap once full collections stop freeing memory: collections a few
 * milliseconds apart, so finalizers (undici's, for one) and the work they
 * release can run in between; at most five.
 */
async function settledHeap(): Promise<number> {
  let used = Infinity;
  for (let i = 0; i < 5; i++) {
    globalThis.gc?.();
    const now = process.memoryUsage().heapUsed;
    if (used - now < 64 * 1024) return Math.min(used, now);
    used = now;
    await sleep(20);
  }
  return used;
}

/** Active handles and requests by type (`Timeout`, `TCPSocketWrap`, …). */
function activeResources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const type of process.getActiveResourcesInfo()) {
    counts.set(type, (counts.get(type) ?? 0) + 1);
  }
  return counts;
}

/** What is active now that was not before: `"Timeout × 2"`, … */
function leftBehind(before: Map<string, number>, after: Map<string, number>): string[] {
  const extra: string[] = [];
  for (const [type, count] of after) {
    const added = count - (before.get(type) ?? 0);
    if (added > 0) extra.push(`${type} × ${added}`);
  }
  return extra;
}

function result(suite: string, points: HeapPoint[], left: string[], what: string): SuiteResult {
  const start = points[0]?.bytes ?? NaN;
  const end = points.at(-2)?.bytes ?? NaN;
  const warm = points[1]?.bytes ?? NaN;
  const growth = end - start;
  const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(2)} MiB`;
  const rows = points.map(({ name, bytes }): Measurement => ({
    name,
    nsPerOp: bytes,
    minNs: bytes,
    maxNs: bytes,
    rounds: 1,
    opsPerRound: 1,
  }));
  return {
    suite,
    baseline: 'heap at start',
    unit: 'bytes',
    metric: 'heap used after GC',
    rows,
    notes: [
      `${what} Heap after forced GC (\`--expose-gc\`); one run, so min – max is the value itself.`,
      `Target: growth under ${mib(TARGET_BYTES)} and no open handles after close(). This run: growth ${mib(growth)} from start to end (${mib(end - warm)} after the warm-up) — ${growth < TARGET_BYTES ? 'met' : 'NOT met'}; left open after close(): ${left.length === 0 ? 'nothing — met' : `${left.join(', ')} — NOT met`}.`,
    ],
  };
}
