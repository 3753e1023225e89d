import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { EventBus, EventSubscriber, defineEvent, redisTransport } from 'switchboard';
import { startRedisCluster, startRedisServer } from 'switchboard/testing';
import { alternate } from './lib/alternate.js';
import {
  Arrivals,
  cpuMicros,
  loadAlternating,
  medianThroughput,
  throughputRow,
  timePerOp,
  until,
  within,
  type Throughput,
} from './lib/load.js';
import type { SuiteResult } from './lib/report.js';
import type { RunScale } from './lib/scale.js';

// A multi-topic workload on one Redis and on a three-master Redis Cluster:
// the same bus, publishers and subscriber, only the connection option differs.
// Every server process runs on this machine, beside the client.

const TOPICS = ['orders', 'payments', 'stock', 'users', 'mail', 'audit'];
const definitions = TOPICS.map((topic) =>
  defineEvent(`${topic}.happened`, z.object({ n: z.number() }), { topic }),
);
const definitionFor = (n: number) =>
  definitions[n % definitions.length] as (typeof definitions)[number];
const SINGLE = 'one Redis';
const CLUSTER = 'Redis Cluster, 3 masters';

type Target = { readonly name: string; readonly bus: () => EventBus };

export async function clusterSuite(scale: RunScale): Promise<SuiteResult[]> {
  const server = await startRedisServer();
  const cluster = await startRedisCluster({ masters: 3 });
  const run = `bench-${randomUUID().slice(0, 8)}`;
  const opened: EventBus[] = [];
  const open = (transport: ReturnType<typeof redisTransport>): EventBus => {
    const bus = new EventBus({ source: 'bench', transport });
    opened.push(bus);
    return bus;
  };
  const targets: Target[] = [
    { name: SINGLE, bus: () => open(redisTransport({ url: server.url, prefix: run })) },
    {
      name: CLUSTER,
      bus: () =>
        open(redisTransport({ cluster: { nodes: [...cluster.startupNodes] }, prefix: run })),
    },
  ];
  try {
    return [await publishing(targets, scale), await endToEnd(targets, scale)];
  } finally {
    await Promise.all(opened.map((bus) => bus.close()));
    await cluster.stop();
    await server.stop();
  }
}

async function publishing(targets: readonly Target[], scale: RunScale): Promise<SuiteResult> {
  const requests = scale.pick(12_000, 300);
  const rounds = scale.pick(3, 1);
  let n = 0;
  const contenders = targets.map(({ name, bus }) => {
    const publisher = bus();
    return { name, op: () => publisher.publish(definitionFor(n++).create({ n })) };
  });
  const rows = await loadAlternating(contenders, { concurrency: 100, requests, rounds });
  return {
    suite: `Publish over ${TOPICS.length} topics, 100 in flight: one Redis vs a 3-master cluster`,
    baseline: SINGLE,
    rows: rows.map((row) => timePerOp(row, { rounds, opsPerRound: requests })),
    notes: [scalingNote(rows.map((row) => ({ perSec: row.opsPerSec, cpuUs: row.cpuUsPerOp })))],
  };
}

async function endToEnd(targets: readonly Target[], scale: RunScale): Promise<SuiteResult> {
  const count = scale.pick(6_000, 200);
  const pipelines = await Promise.all(
    targets.map(async ({ name, bus }) => {
      const publisher = bus();
      const subscriber = new EventSubscriber(bus(), { group: 'bench', concurrency: 60 });
      const pipeline = { name, publisher, subscriber, arrivals: new Arrivals(0) };
      for (const definition of definitions) {
        subscriber.on(definition, (event) => {
          pipeline.arrivals.arrived(event.data.n);
        });
      }
      await subscriber.start();
      return pipeline;
    }),
  );
  try {
    const samples = await alternate(
      pipelines,
      async (p): Promise<Throughput> => {
        p.arrivals = new Arrivals(count);
        const cpu = process.cpuUsage();
        const started = performance.now();
        let next = 0;
        const producer = async (): Promise<void> => {
          while (next < count) {
            const n = next++;
            await p.publisher.publish(definitionFor(n).create({ n }));
          }
        };
        await within(Promise.all(Array.from({ length: 100 }, producer)), 60_000, p.name);
        await within(p.arrivals.done, 60_000, `${p.name}: handlers`);
        await until(() => p.subscriber.health().pending === 0, 10_000, `${p.name}: acks`);
        return {
          perSec: count / ((performance.now() - started) / 1000),
          cpuUs: cpuMicros(cpu) / count,
        };
      },
      { rounds: scale.pick(3, 1) },
    );
    return {
      suite: `End to end over ${TOPICS.length} topics (publish → subscriber → XACK), 100 publishes in flight, handler concurrency 60`,
      baseline: SINGLE,
      rows: pipelines.map((p, i) =>
        throughputRow(p.name, samples[i] ?? [], { opsPerRound: count, per: 'event' }),
      ),
      notes: [scalingNote(samples.map(medianThroughput))],
    };
  } finally {
    for (const p of pipelines) await p.subscriber.stop();
  }
}

function scalingNote([single, cluster]: readonly (Throughput | undefined)[]): string {
  const ratio =
    single === undefined || cluster === undefined ? NaN : cluster.perSec / single.perSec;
  return (
    `The cluster at ${ratio.toFixed(2)}× one Redis's throughput. Every Redis process shares this machine's ${availableParallelism()} cores with the client, so this shows the cost of cluster routing (a connection and a blocking read per topic, one transaction per topic) rather than the gain of more machines: ` +
    'masters on machines of their own add their CPU to the cluster, which one machine cannot.'
  );
}
