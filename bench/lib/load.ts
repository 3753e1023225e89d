/** Throughput and latency of one contender under a fixed concurrency. */
export type LoadResult = {
  readonly name: string;
  readonly concurrency: number;
  /** Median over the rounds. */
  readonly opsPerSec: number;
  readonly minOpsPerSec: number;
  readonly maxOpsPerSec: number;
  /** Latency percentiles (ms) of the median round. */
  readonly p50Ms: number;
  readonly p99Ms: number;
};

export type LoadOptions = {
  readonly concurrency: number;
  /** Requests per round. */
  readonly requests: number;
  /** Measured rounds; one more, unmeasured, warms up. @default 3 */
  readonly rounds?: number;
};

/**
 * Runs `op` `requests` times with `concurrency` in flight, per round; reports
 * the median round's throughput and latency percentiles.
 */
export async function load(
  name: string,
  op: () => Promise<unknown>,
  { concurrency, requests, rounds = 3 }: LoadOptions,
): Promise<LoadResult> {
  const measured: { opsPerSec: number; latencies: Float64Array }[] = [];
  for (let round = 0; round <= rounds; round++) {
    const latencies = new Float64Array(requests);
    let next = 0;
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
    if (round > 0) measured.push({ opsPerSec: requests / seconds, latencies });
  }
  measured.sort((a, b) => a.opsPerSec - b.opsPerSec);
  const median = measured[Math.floor(measured.length / 2)];
  if (median === undefined) throw new Error('no rounds measured');
  const sorted = median.latencies.slice().sort();
  const at = (q: number): number =>
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return {
    name,
    concurrency,
    opsPerSec: median.opsPerSec,
    minOpsPerSec: measured[0]?.opsPerSec ?? NaN,
    maxOpsPerSec: measured.at(-1)?.opsPerSec ?? NaN,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
  };
}
