import { randomUUID } from 'node:crypto';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import {
  EventBus,
  EventSubscriber,
  ProductEvents,
  encodeEvent,
  redisTransport,
  type EventEnvelope,
} from 'switchboard';
import { startRedisServer } from 'switchboard/testing';
import { alternate, median, quantile } from './lib/alternate.js';
import { PromotionMeter } from './lib/heap.js';
import {
  Arrivals,
  cpuMicros,
  loadAlternating,
  medianThroughput,
  paced,
  throughputRow,
  timePerOp,
  until,
  within,
  type LoadContender,
  type LoadResult,
  type Throughput,
} from './lib/load.js';
import type { Measurement } from './lib/measure.js';
import { countPromises } from './lib/promises.js';
import { deleteKeys, RawStreamConsumer, redisClient, ServerCpu } from './lib/redis.js';
import type { SuiteResult } from './lib/report.js';
import type { RunScale } from './lib/scale.js';

// The Redis Streams event bus against the raw ioredis commands it is made of,
// on a private redis-server (or REDIS_URL): publish, publishMany, and publish
// → consumer group → handler → XACK end to end, there next to BullMQ, the peer
// users pick for durable delivery. Contenders run in alternating
// rounds; each has keys of its own under this run's random prefix, deleted at
// the end. Method: docs/decisions/0011-event-bench-method.md.

const TOPIC = 'product';
const GROUP = 'bench';
const BLOCK_MS = 5_000; // the transport's default, for both sides
const DATA = { productId: 1, name: 'Fountain pen', price: 12.5, createdBy: 7, category: 'office' };
const TARGET = 0.8;

/** The key `redisTransport` uses for the topic under `prefix`: the raw contenders use the same shape. */
const streamKey = (prefix: string): string => `${prefix}:events:{${TOPIC}}`;

export async function eventsSuite(scale: RunScale): Promise<SuiteResult[]> {
  const server = process.env['REDIS_URL'] === undefined ? await startRedisServer() : undefined;
  const url = server?.url ?? process.env['REDIS_URL'] ?? '';
  const run = `bench-${randomUUID().slice(0, 8)}`;
  const admin = redisClient(url);
  try {
    return [
      await publishOne(url, run, admin, scale),
      ...(await publishBatches(url, run, admin, scale)),
      ...(await endToEnd(url, run, scale)),
    ];
  } finally {
    await deleteKeys(admin, `${run}-*`);
    await admin.quit();
    await server?.stop();
  }
}

// ── 1. publish, 100 in flight ───────────────────────────────────────────────

async function publishOne(
  url: string,
  run: string,
  admin: Redis,
  scale: RunScale,
): Promise<SuiteResult> {
  const concurrency = 100;
  const requests = scale.pick(10_000, 200);
  const rounds = scale.pick(5, 1);
  const raw = redisClient(url);
  const autoPipelined = new Redis(url, { enableAutoPipelining: true });
  autoPipelined.on('error', () => undefined);
  const bus = new EventBus({
    source: 'bench',
    transport: redisTransport({ url, prefix: `${run}-sb` }),
  });
  const ready = ProductEvents.created.create(DATA, { source: 'bench' });
  const json = encodeEvent(ready);
  const rawKey = streamKey(`${run}-rw`);
  const busKey = streamKey(`${run}-sb`);
  const clean = (key: string) => () => admin.del(key);
  const baseline = 'raw ioredis XADD';
  const server = new ServerCpu(admin);
  try {
    const contenders: LoadContender[] = [
      {
        name: baseline,
        op: () => raw.xadd(rawKey, '*', 'payload', json),
        afterRound: clean(rawKey),
      },
      {
        name: 'bus.publish(ProductEvents.created.create(…))',
        op: () => bus.publish(ProductEvents.created.create(DATA)),
        afterRound: clean(busKey),
      },
      // Diagnostics: where the difference goes.
      {
        name: '· bus.publish of a ready event',
        op: () => bus.publish(ready),
        afterRound: clean(busKey),
      },
      {
        name: '· transport.publish (XADD only)',
        op: () => bus.transport.publish(TOPIC, json),
        afterRound: clean(busKey),
      },
      {
        name: '· raw ioredis XADD, enableAutoPipelining',
        op: () => autoPipelined.xadd(rawKey, '*', 'payload', json),
        afterRound: clean(rawKey),
      },
    ].map((contender) => server.track(contender, requests));
    const results = await loadAlternating(contenders, { concurrency, requests, rounds });
    const [base, ours] = results.map(throughput);
    return {
      suite: `Publish one event, ${concurrency} in flight, one shared connection`,
      baseline,
      rows: results.map((r) => {
        const row = timePerOp(r, { rounds, opsPerRound: requests });
        return { ...row, extra: `${row.extra ?? ''}${server.detail(r.name, 'op')}` };
      }),
      notes: [
        `Raw XADDs the same encoded JSON (${json.length} bytes), precomputed, one socket write per command as ioredis does by default; the bus creates the event (data schema, UUID, time, correlation id, traceparent), validates the envelope, encodes and XADDs it, and the transport sends the commands of one tick in one socket write (ADR 0022). The auto-pipelined row is what a raw user gets from ioredis's own batching (which the transport cannot use: it breaks \`call()\` on ioredis 6). Redis CPU: the server's own time per operation. Rows marked · are diagnostics.`,
        targetNote('bus.publish', ours, base),
      ],
    };
  } finally {
    await bus.close();
    await raw.quit();
    await autoPipelined.quit();
  }
}

// ── 2. publishMany of 100 ───────────────────────────────────────────────────

async function publishBatches(
  url: string,
  run: string,
  admin: Redis,
  scale: RunScale,
): Promise<SuiteResult[]> {
  const size = 100;
  const rounds = scale.pick(5, 1);
  const raw = redisClient(url);
  const bus = new EventBus({
    source: 'bench',
    transport: redisTransport({ url, prefix: `${run}-sb` }),
  });
  const create = (i: number): EventEnvelope =>
    ProductEvents.created.create({ ...DATA, productId: i + 1 }, { source: 'bench' });
  const ready = Array.from({ length: size }, (_, i) => create(i));
  const payloads = ready.map(encodeEvent);
  const rawKey = streamKey(`${run}-rw`);
  const busKey = streamKey(`${run}-sb`);
  const clean = (key: string) => () => admin.del(key);
  const xadds = (): string[][] => payloads.map((p) => ['xadd', rawKey, '*', 'payload', p]);
  // What the transport does with the replies: any failed XADD fails the batch.
  const checked = (replies: [Error | null, unknown][] | null): unknown[] => {
    if (replies === null) throw new Error('transaction aborted');
    return replies.map(([error, reply]) => {
      if (error !== null) throw error;
      return reply;
    });
  };
  const baseline = `raw ioredis pipeline of ${size} XADD`;
  const server = new ServerCpu(admin);
  const messages = payloads.map((payload) => ({ topic: TOPIC, payload }));
  try {
    const contenders: LoadContender[] = [
      {
        name: baseline,
        op: async () => checked(await raw.pipeline(xadds()).exec()),
        afterRound: clean(rawKey),
      },
      {
        name: `bus.publishMany(${size} × create(…))`,
        op: () =>
          bus.publishMany(
            Array.from({ length: size }, (_, i) =>
              ProductEvents.created.create({ ...DATA, productId: i + 1 }),
            ),
          ),
        afterRound: clean(busKey),
      },
      {
        name: `· bus.publishMany of ${size} ready events`,
        op: () => bus.publishMany(ready),
        afterRound: clean(busKey),
      },
      {
        name: `· transport.publishMany (the batch script only)`,
        op: () => bus.transport.publishMany(messages),
        afterRound: clean(busKey),
      },
      {
        name: `· raw ioredis MULTI of ${size} XADD (atomic, like the bus)`,
        op: async () => checked(await raw.multi(xadds()).exec()),
        afterRound: clean(rawKey),
      },
    ];
    const results: SuiteResult[] = [];
    for (const [concurrency, requests] of [
      [1, scale.pick(100, 5)],
      [10, scale.pick(200, 10)],
    ] as const) {
      // The diagnostics once, with one batch in flight.
      const here = (concurrency === 1 ? contenders : contenders.slice(0, 2)).map((contender) =>
        server.track({ ...contender, name: `${contender.name}@${concurrency}` }, requests),
      );
      const measured = await loadAlternating(here, { concurrency, requests, rounds });
      const [base, ours] = measured.map(throughput);
      results.push({
        suite: `publishMany of ${size} events, ${concurrency} batch${concurrency === 1 ? '' : 'es'} in flight`,
        baseline,
        rows: measured.map((r) => {
          const row = timePerOp(
            { ...r, name: r.name.replace(/@\d+$/, '') },
            { rounds, opsPerRound: requests, per: 'batch' },
          );
          return { ...row, extra: `${row.extra ?? ''}${server.detail(r.name, 'batch')}` };
        }),
        notes: [
          `The baseline is a raw pipeline of the same ${size} precomputed payloads. The transport sends a batch as one EVAL of a script that XADDs each message, atomic like a MULTI (one per topic on a cluster): the publishing process does a fraction of ioredis's per-command work, Redis a little more (a call from Lua costs more than a command; compare the Redis CPU of each row; ADR 0022). Rows marked · are diagnostics.`,
          ...(concurrency === 1
            ? [
                `With one batch in flight nothing overlaps: a batch of the bus takes creating, checking and encoding its events, then Redis's run of the script, one after the other, where the raw pipeline's Redis work overlaps its reading of the replies. Its p50 shows that. The bus's CPU per batch is about the raw pipeline's, so Redis's time comes on top of it: this is the row that stays near or under the target (ADR 0022).`,
              ]
            : []),
          targetNote('publishMany', ours, base),
        ],
      });
    }
    return results;
  } finally {
    await bus.close();
    await raw.quit();
  }
}

// ── 3. publish → consumer group → handler → XACK ────────────────────────────

/** One way of moving events from a producer to a handler, for the end-to-end rounds. */
type Pipeline = {
  readonly name: string;
  /** Publishes the event whose `productId` is `index + 1`. */
  publish(index: number): Promise<unknown>;
  /** Where the handler reports the events it got; set before each round. */
  arrivals: Arrivals;
  /** Messages read but not yet acknowledged. */
  pending(): number;
  /** Empties the stream between rounds (the group stays). */
  trim(): Promise<unknown>;
  close(): Promise<void>;
};

/**
 * The bus and a subscriber. `asyncHandler`: the handler is an async function
 * (it returns a promise), as most real handlers are; otherwise it returns at
 * once, like the raw loop's (ADR 0024 settles such a message without a promise).
 */
async function switchboardPipeline(
  url: string,
  prefix: string,
  concurrency: number,
  asyncHandler = false,
): Promise<Pipeline> {
  const bus = new EventBus({
    source: 'bench',
    transport: redisTransport({ url, prefix, blockMs: BLOCK_MS }),
  });
  const subscriber = new EventSubscriber(bus, { group: GROUP, consumer: 'c1', concurrency });
  const admin = redisClient(url);
  const pipeline: Pipeline = {
    name: asyncHandler
      ? '· EventBus → EventSubscriber, async handler'
      : 'EventBus → EventSubscriber',
    arrivals: new Arrivals(0),
    publish: (index) =>
      bus.publish(ProductEvents.created.create({ ...DATA, productId: index + 1 })),
    pending: () => subscriber.health().pending,
    trim: () => admin.xtrim(streamKey(prefix), 'MAXLEN', 0),
    async close() {
      await subscriber.stop();
      await bus.close();
      await admin.quit();
    },
  };
  if (asyncHandler) {
    // eslint-disable-next-line @typescript-eslint/require-await -- an async handler is the point
    subscriber.on(ProductEvents.created, async (event) => {
      pipeline.arrivals.arrived(event.data.productId - 1);
    });
  } else {
    subscriber.on(ProductEvents.created, (event) => {
      pipeline.arrivals.arrived(event.data.productId - 1);
    });
  }
  await subscriber.start();
  return pipeline;
}

/**
 * XADD of JSON, and {@link RawStreamConsumer}: a hand-written consumer-group
 * loop that JSON.parses each payload.
 */
async function rawPipeline(url: string, prefix: string, concurrency: number): Promise<Pipeline> {
  const redis = redisClient(url);
  const key = streamKey(prefix);
  const keys = [key];
  // What a hand-written producer sends: the envelope-shaped object, encoded per event.
  const template = ProductEvents.created.create(DATA, { source: 'bench' });
  const options = {
    keys,
    group: GROUP,
    consumer: 'c1',
    concurrency,
    blockMs: BLOCK_MS,
    field: 'payload',
  };
  const consumer = new RawStreamConsumer(redis, options, (payload) => {
    const event = JSON.parse(payload) as EventEnvelope<typeof DATA>;
    pipeline.arrivals.arrived(event.data.productId - 1);
    return Promise.resolve();
  });
  const pipeline: Pipeline = {
    name: 'raw XADD / XREADGROUP / XACK',
    arrivals: new Arrivals(0),
    publish: (index) =>
      redis.xadd(
        key,
        '*',
        'payload',
        JSON.stringify({ ...template, data: { ...DATA, productId: index + 1 } }),
      ),
    pending: () => consumer.unacked,
    trim: () => redis.xtrim(key, 'MAXLEN', 0),
    async close() {
      await consumer.stop();
      await redis.quit();
    },
  };
  await consumer.start();
  return pipeline;
}

/**
 * BullMQ as users run it for durable delivery: `Queue.add` of the same data
 * (BullMQ stores it as JSON in a job hash), a `Worker` with the same
 * concurrency; completed jobs removed at once (`removeOnComplete`), as
 * production queues are set up so Redis does not fill with them.
 */
async function bullmqPipeline(url: string, prefix: string, concurrency: number): Promise<Pipeline> {
  const name = TOPIC;
  // BullMQ's blocking connections must retry for ever (its documented setting).
  const connection = new Redis(url, { maxRetriesPerRequest: null });
  connection.on('error', () => undefined);
  const queue = new Queue(name, {
    connection,
    prefix,
    defaultJobOptions: { removeOnComplete: true, removeOnFail: 1_000 },
  });
  let handled = 0;
  let completed = 0;
  const worker = new Worker<typeof DATA>(
    name,
    (job) => {
      handled += 1;
      pipeline.arrivals.arrived(job.data.productId - 1);
      return Promise.resolve();
    },
    { connection, prefix, concurrency },
  );
  worker.on('completed', () => {
    completed += 1;
  });
  worker.on('error', (error) => {
    console.error('bench BullMQ worker:', error.message);
  });
  const pipeline: Pipeline = {
    name: 'BullMQ Queue.add → Worker',
    arrivals: new Arrivals(0),
    publish: (index) => queue.add(name, { ...DATA, productId: index + 1 }),
    pending: () => handled - completed,
    trim: () => queue.drain(),
    async close() {
      await worker.close();
      await queue.close();
      await connection.quit();
    },
  };
  await worker.waitUntilReady();
  return pipeline;
}

/** Everything handled and acknowledged, within bounds. */
async function settled(p: Pipeline): Promise<void> {
  await within(p.arrivals.done, 60_000, `${p.name}: handlers`);
  await until(() => p.pending() === 0, 10_000, `${p.name}: acknowledgements`);
}

/**
 * Closed loop: `count` events published `inFlight` at a time while the
 * consumer runs; events/s from the first publish until the last is
 * acknowledged, and this process's CPU time per event.
 */
async function throughputRound(p: Pipeline, count: number, inFlight: number): Promise<Throughput> {
  p.arrivals = new Arrivals(count);
  const promotion = new PromotionMeter();
  promotion.start();
  const cpu = process.cpuUsage();
  const started = performance.now();
  let next = 0;
  const producer = async (): Promise<void> => {
    while (next < count) await p.publish(next++);
  };
  await within(Promise.all(Array.from({ length: inFlight }, producer)), 60_000, p.name);
  await settled(p);
  const perSec = count / ((performance.now() - started) / 1000);
  const cpuUs = cpuMicros(cpu) / count;
  const promoted = promotion.stop() / count;
  await p.trim();
  return { perSec, cpuUs, promoted };
}

type LatencyRound = { readonly latencies: Float64Array; readonly achievedPerSec: number };

/** Open loop at `ratePerSec`: time from the publish call to the handler, per event. */
async function latencyRound(p: Pipeline, count: number, ratePerSec: number): Promise<LatencyRound> {
  const sent = new Float64Array(count);
  p.arrivals = new Arrivals(count);
  const timeoutMs = (count / ratePerSec) * 1000 + 30_000;
  const send = (index: number): Promise<unknown> => {
    sent[index] = performance.now();
    return p.publish(index);
  };
  const { achievedPerSec } = await paced(send, { ratePerSec, count, timeoutMs });
  await settled(p);
  await p.trim();
  const latencies = p.arrivals.times.map((at, i) => at - (sent[i] ?? NaN));
  return { latencies, achievedPerSec };
}

async function endToEnd(url: string, run: string, scale: RunScale): Promise<SuiteResult[]> {
  const results: SuiteResult[] = [];
  const count = scale.pick(6_000, 300);
  const rounds = scale.pick(5, 1);
  const inFlight = 100;
  for (const concurrency of [10, 100]) {
    const pipelines = [
      await rawPipeline(url, `${run}-rw${concurrency}`, concurrency),
      await switchboardPipeline(url, `${run}-sb${concurrency}`, concurrency),
      await bullmqPipeline(url, `${run}-bq${concurrency}`, concurrency),
      // Diagnostic: the same bus with an async handler.
      await switchboardPipeline(url, `${run}-sa${concurrency}`, concurrency, true),
    ];
    try {
      const samples = await alternate(pipelines, (p) => throughputRound(p, count, inFlight), {
        rounds,
      });
      const [base, ours, peer, oursAsync] = samples.map(medianThroughput);
      // After the timed rounds, in rounds of their own: the count slows everything down.
      const promisesPerEvent: string[] = [];
      for (const p of pipelines) {
        const promises = await countPromises(() => throughputRound(p, count, inFlight));
        promisesPerEvent.push(`${p.name} ${(promises / count).toFixed(1)}`);
      }
      results.push({
        suite: `Durable end to end: publish → handler → XACK, ${inFlight} publishes in flight, handler concurrency ${concurrency}`,
        baseline: pipelines[0]?.name ?? '',
        rows: pipelines.map((p, i) =>
          throughputRow(p.name, samples[i] ?? [], { opsPerRound: count, per: 'event' }),
        ),
        notes: [
          `Time per event from the first publish until the last of ${count.toLocaleString('en')} is acknowledged; producer and consumer share one process and one command connection (XADD, XACK), reads use a second. Both read COUNT <free slots> from the topic's stream; raw JSON.parses each payload in a handler that returns a resolved promise (awaited) and acknowledges each entry with an XACK of its own, the subscriber decodes and checks the envelope and the data schema, runs the handler (one that returns at once; the row marked · runs an async function) in the event's correlation context, and acknowledges what finished in one tick with one XACK (its group's redrive stream is read by housekeeping, not by the blocking read).`,
          `BullMQ: Queue.add of the same data object (BullMQ encodes it), Worker with the same concurrency, completed jobs removed; each job costs BullMQ several Lua scripts (add, move to active, move to completed and fetch the next).`,
          `Promises per event (an async_hooks count over one more round of each, untimed; the producer's own awaits included): ${promisesPerEvent.join(', ')}. Each costs a promise hook on Node 20 once an AsyncLocalStorage is in use (ADR 0023); unlike throughput, the count does not move with the machine's noise.`,
          targetNote('end to end', ours, base),
          targetNote('end to end with an async handler (the row marked ·)', oursAsync, base),
          peerNote(ours, peer),
        ],
      });
      if (concurrency === 10) results.push(...(await latency(pipelines.slice(0, 3), scale)));
    } finally {
      for (const p of pipelines) await p.close();
    }
  }
  return results;
}

async function latency(pipelines: Pipeline[], scale: RunScale): Promise<SuiteResult[]> {
  const ratePerSec = 2_000;
  const count = scale.pick(3_000, 200);
  const warmupCount = scale.pick(1_000, 100);
  const samples = await alternate(
    pipelines,
    (p, index) => latencyRound(p, index === 0 ? warmupCount : count, ratePerSec),
    { rounds: scale.pick(2, 1), warmup: 1 },
  );
  const at = (q: number, label: string): SuiteResult => {
    const rows = pipelines.map((p, i): Measurement => {
      const own = samples[i] ?? [];
      const pooled = Float64Array.from(own.flatMap((s) => [...s.latencies])).sort();
      const perRound = own.map((s) => quantile(s.latencies.slice().sort(), q) * 1e6);
      const offered = Math.round(median(own.map((s) => s.achievedPerSec)));
      return {
        name: p.name,
        nsPerOp: quantile(pooled, q) * 1e6,
        minNs: Math.min(...perRound),
        maxNs: Math.max(...perRound),
        rounds: own.length,
        opsPerRound: count,
        extra: `p50 ${quantile(pooled, 0.5).toFixed(2)} ms, p99 ${quantile(pooled, 0.99).toFixed(2)} ms, max ${(pooled.at(-1) ?? NaN).toFixed(2)} ms; offered ${offered}/s`,
      };
    });
    return {
      suite: `Durable end-to-end latency ${label} at ${ratePerSec.toLocaleString('en')} events/s, handler concurrency 10`,
      baseline: pipelines[0]?.name ?? '',
      metric: `${label} (rounds pooled)`,
      rows,
      notes: [
        `From the publish call (before the event is created) to the handler's first line, on one clock; the producer is paced (open loop) at ${ratePerSec.toLocaleString('en')}/s, ${rows[0]?.rounds ?? 0} rounds of ${count.toLocaleString('en')} events after a warm-up; min – max is each round's ${label}.`,
        'No target. A p50 far above the raw loop means the pipeline could not keep up with the offered rate and events queued.',
      ],
    };
  };
  return [at(0.5, 'p50'), at(0.99, 'p99')];
}

// ── verdicts ────────────────────────────────────────────────────────────────

function throughput(result: LoadResult): Throughput {
  return { perSec: result.opsPerSec, cpuUs: result.cpuUsPerOp };
}

/** The line under the end-to-end table on the peer: the target is to be ahead of it. */
function peerNote(ours?: Throughput, peer?: Throughput): string {
  if (ours === undefined || peer === undefined) return 'Target (ahead of BullMQ): not measured.';
  const ratio = ours.perSec / peer.perSec;
  return (
    `Target: ahead of BullMQ. This run: ${ratio.toFixed(2)}× BullMQ's throughput — ${ratio > 1 ? 'met' : 'NOT met'}. ` +
    `CPU per event: ${ours.cpuUs.toFixed(1)} µs vs ${peer.cpuUs.toFixed(1)} µs BullMQ (${(ours.cpuUs / peer.cpuUs).toFixed(2)}×).`
  );
}

/** The line under a table: the throughput ratio against the target, and the CPU ratio. */
function targetNote(what: string, ours?: Throughput, base?: Throughput): string {
  if (ours === undefined || base === undefined) return `Target (${what}): not measured.`;
  const ratio = ours.perSec / base.perSec;
  return (
    `Target: ${what} ≥ ${TARGET}× the raw baseline's throughput (a time ratio ≤ ${(1 / TARGET).toFixed(2)}× above). ` +
    `This run: ${ratio.toFixed(2)}× — ${ratio >= TARGET ? 'met' : 'NOT met'}. ` +
    `CPU per operation: ${ours.cpuUs.toFixed(1)} µs vs ${base.cpuUs.toFixed(1)} µs raw (${(ours.cpuUs / base.cpuUs).toFixed(2)}×).`
  );
}
