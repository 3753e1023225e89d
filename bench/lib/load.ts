import { setTimeout as sleep } from 'node:timers/promises';
import { alternate, median, quantile } from './alternate.js';
import { PromotionMeter } from './heap.js';
import type { Measurement } from './measure.js';

/** Throughput and latency of one contender under a fixed concurrency. */
export type LoadResult = {
  readonly name: string;
  readonly concurrency: number;
  /** Median over the rounds. */
  readonly opsPerSec: number;
  readonly minOpsPerSec: number;
  readonly maxOpsPerSec: number;
  /** Latency percentiles (ms) of every request of every measured round. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  /**
   * This process's CPU time (user + system) per operation, median over the
   * rounds: steadier than throughput on a shared machine, where other
   * processes take turns on the cores.
   */
  readonly cpuUsPerOp: number;
  /** Bytes promoted to the old generation per operation, median over the rounds (ADR 0025). */
  readonly promotedPerOp: number;
};

export type LoadOptions = {
  readonly concurrency: number;
  /** Requests per round. */
  readonly requests: number;
  /** Measured rounds; one more, unmeasured, warms up. @default 3 */
  readonly rounds?: number;
};

type Round = {
  readonly opsPerSec: number;
  readonly cpuUsPerOp: number;
  readonly promotedPerOp: number;
  readonly latencies: Float64Array;
};

/** One round: `op` run `requests` times with `concurrency` in flight. */
async function loadRound(
  op: () => Promise<unknown>,
  concurrency: number,
  requests: number,
): Promise<Round> {
  const latencies = new Float64Array(requests);
  let next = 0;
  const promotion = new PromotionMeter();
  promotion.start();
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  const worker = async (): Promise<void> => {
    while (next < requests) {
      const index = next++;
      const t0 = process.hrtime.bigint();
      await op();
      latencies[index] = Number(process.hrtime.bigint() - t0) / 1e6;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpuUs = cpuMicros(cpu);
  const promoted = promotion.stop();
  return {
    opsPerSec: requests / seconds,
    cpuUsPerOp: cpuUs / requests,
    promotedPerOp: promoted / requests,
    latencies,
  };
}

/** CPU time (user + system, µs) this process used since `since` (a `process.cpuUsage()`). */
export function cpuMicros(since: NodeJS.CpuUsage): number {
  const { user, system } = process.cpuUsage(since);
  return user + system;
}

function summarize(name: string, concurrency: number, measured: Round[]): LoadResult {
  const cpuUsPerOp = median(measured.map((round) => round.cpuUsPerOp));
  const promotedPerOp = median(measured.map((round) => round.promotedPerOp));
  measured.sort((a, b) => a.opsPerSec - b.opsPerSec);
  const middle = measured[Math.floor(measured.length / 2)];
  if (middle === undefined) throw new Error('no rounds measured');
  // Pooled over every round: one round's p99 rests on a handful of requests
  // and swings with whatever else the machine did in that round.
  const pooled = new Float64Array(measured.reduce((n, round) => n + round.latencies.length, 0));
  let offset = 0;
  for (const round of measured) {
    pooled.set(round.latencies, offset);
    offset += round.latencies.length;
  }
  const sorted = pooled.sort();
  return {
    name,
    concurrency,
    opsPerSec: middle.opsPerSec,
    minOpsPerSec: measured[0]?.opsPerSec ?? NaN,
    maxOpsPerSec: measured.at(-1)?.opsPerSec ?? NaN,
    p50Ms: quantile(sorted, 0.5),
    p99Ms: quantile(sorted, 0.99),
    cpuUsPerOp,
    promotedPerOp,
  };
}

/**
 * Runs `op` `requests` times with `concurrency` in flight, per round; reports
 * the median round's throughput and the latency percentiles of all rounds.
 */
export async function load(
  name: string,
  op: () => Promise<unknown>,
  { concurrency, requests, rounds = 3 }: LoadOptions,
): Promise<LoadResult> {
  const measured: Round[] = [];
  for (let round = 0; round <= rounds; round++) {
    const result = await loadRound(op, concurrency, requests);
    if (round > 0) measured.push(result);
  }
  return summarize(name, concurrency, measured);
}

/** A contender of {@link loadAlternating}. */
export type LoadContender = {
  readonly name: string;
  readonly op: () => Promise<unknown>;
  /** Runs before each of its rounds, untimed (reading a server's counters, say). */
  readonly beforeRound?: () => Promise<unknown>;
  /** Runs after each of its rounds, untimed (deleting what the round wrote, say). */
  readonly afterRound?: () => Promise<unknown>;
};

/**
 * Like {@link load} for several contenders at once, their rounds interleaved
 * (see {@link alternate}) so that a noisy machine treats them alike: compare
 * the ratios of one call.
 */
export async function loadAlternating(
  contenders: readonly LoadContender[],
  { concurrency, requests, rounds = 3 }: LoadOptions,
): Promise<LoadResult[]> {
  const samples = await alternate(
    contenders,
    async ({ op, beforeRound, afterRound }) => {
      await beforeRound?.();
      const round = await loadRound(op, concurrency, requests);
      await afterRound?.();
      return round;
    },
    { rounds, warmup: 1 },
  );
  return contenders.map(({ name }, i) => summarize(name, concurrency, samples[i] ?? []));
}

/**
 * A {@link LoadResult} as a report row in time per operation (lower is
 * better, like every other table), throughput and latency in the details.
 * `per` names the operation (`'req'`, `'batch'`).
 */
export function timePerOp(
  result: LoadResult,
  { rounds, opsPerRound, per = 'op' }: { rounds: number; opsPerRound: number; per?: string },
): Measurement {
  return {
    name: result.name,
    nsPerOp: 1e9 / result.opsPerSec,
    minNs: 1e9 / result.maxOpsPerSec,
    maxNs: 1e9 / result.minOpsPerSec,
    rounds,
    opsPerRound,
    extra: `${Math.round(result.opsPerSec)} ${per}/s, CPU ${result.cpuUsPerOp.toFixed(1)} µs/${per}, ${promoted(result.promotedPerOp, per)}, p50 ${result.p50Ms.toFixed(3)} ms, p99 ${result.p99Ms.toFixed(3)} ms`,
  };
}

/** Options of {@link paced}. */
export type PacedOptions = {
  /** Sends per second offered. */
  readonly ratePerSec: number;
  /** Sends in all. */
  readonly count: number;
  /** Rejects if sending (and the sends' own promises) take longer than this. */
  readonly timeoutMs: number;
};

/** What {@link paced} achieved. */
export type PacedResult = {
  /** From the first send to the last send's promise settling. */
  readonly seconds: number;
  /** The rate the sends were actually started at. */
  readonly achievedPerSec: number;
  /** How late the latest send started after its scheduled time (timer and event-loop lag). */
  readonly maxLateMs: number;
};

/**
 * Open-loop load at a fixed offered rate: calls `send(i)` for `i` in
 * `[0, count)` at `ratePerSec`, on schedule whether or not earlier sends have
 * finished (a closed loop slows down with the system under test and hides its
 * queueing), then waits for every send. The clock ticks about once a
 * millisecond; every send due by a tick starts in that tick.
 */
export async function paced(
  send: (index: number) => Promise<unknown>,
  { ratePerSec, count, timeoutMs }: PacedOptions,
): Promise<PacedResult> {
  const sends: Promise<unknown>[] = [];
  const intervalMs = 1000 / ratePerSec;
  const start = performance.now();
  let maxLateMs = 0;
  let next = 0;
  let lastStart = start;
  while (next < count) {
    const now = performance.now();
    if (now - start > timeoutMs) throw new Error(`paced: not done within ${timeoutMs} ms`);
    const due = Math.min(count, Math.floor((now - start) / intervalMs) + 1);
    for (; next < due; next++) {
      maxLateMs = Math.max(maxLateMs, now - (start + next * intervalMs));
      sends.push(send(next));
    }
    lastStart = now;
    if (next < count) await sleep(1);
  }
  const remaining = timeoutMs - (performance.now() - start);
  await within(Promise.all(sends), Math.max(0, remaining), 'paced sends');
  return {
    seconds: (performance.now() - start) / 1000,
    achievedPerSec: count > 1 ? (count - 1) / ((lastStart - start) / 1000) : NaN,
    maxLateMs,
  };
}

/** Settles like `promise`, or rejects after `ms`; the timer is always cleared. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  const timer = new AbortController();
  try {
    return await Promise.race([
      promise,
      sleep(ms, undefined, { signal: timer.signal }).then(() => {
        throw new Error(`${what}: not done within ${Math.round(ms)} ms`);
      }),
    ]);
  } finally {
    timer.abort();
  }
}

/**
 * Records when each of `count` expected arrivals (handler calls, say) happened,
 * by index, and resolves `done` once all have.
 */
export class Arrivals {
  readonly times: Float64Array;
  readonly done: Promise<void>;
  #received = 0;
  #resolve: () => void = () => undefined;

  constructor(count: number) {
    this.times = new Float64Array(count);
    this.done = new Promise((resolve) => {
      this.#resolve = resolve;
      if (count === 0) resolve();
    });
  }

  arrived(index: number): void {
    this.times[index] = performance.now();
    if (++this.#received === this.times.length) this.#resolve();
  }
}

/** Polls `condition` every millisecond until it holds; rejects after `timeoutMs`. */
export async function until(
  condition: () => boolean,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`${what}: not done within ${timeoutMs} ms`);
    await sleep(1);
  }
}

/** Bytes promoted per operation, as a report detail. */
function promoted(bytes: number, per: string): string {
  return `promoted ${Math.round(bytes)} B/${per}`;
}

/**
 * One round of a custom throughput measurement: operations per second, CPU
 * µs per operation, and bytes promoted to the old generation per operation
 * (see `PromotionMeter`) where measured.
 */
export type Throughput = {
  readonly perSec: number;
  readonly cpuUs: number;
  readonly promoted?: number;
};

/** The median throughput, CPU time and promoted bytes of several rounds. */
export function medianThroughput(samples: readonly Throughput[]): Throughput {
  const promotedSamples = samples.flatMap((s) => (s.promoted === undefined ? [] : [s.promoted]));
  return {
    perSec: median(samples.map((s) => s.perSec)),
    cpuUs: median(samples.map((s) => s.cpuUs)),
    ...(promotedSamples.length > 0 && { promoted: median(promotedSamples) }),
  };
}

/** Rounds of a custom throughput measurement as a report row in time per operation. */
export function throughputRow(
  name: string,
  samples: readonly Throughput[],
  { opsPerRound, per = 'op' }: { opsPerRound: number; per?: string },
): Measurement {
  const perSec = samples.map((s) => s.perSec);
  const { perSec: middle, cpuUs, promoted: bytes } = medianThroughput(samples);
  return {
    name,
    nsPerOp: 1e9 / middle,
    minNs: 1e9 / Math.max(...perSec),
    maxNs: 1e9 / Math.min(...perSec),
    rounds: samples.length,
    opsPerRound,
    extra: `${Math.round(middle)} ${per}/s, CPU ${cpuUs.toFixed(1)} µs/${per}${bytes === undefined ? '' : `, ${promoted(bytes, per)}`}`,
  };
}
