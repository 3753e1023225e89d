/** The result of timing one contender. */
export type Measurement = {
  readonly name: string;
  /** Median ns per operation over the rounds. */
  readonly nsPerOp: number;
  readonly minNs: number;
  readonly maxNs: number;
  readonly rounds: number;
  readonly opsPerRound: number;
  /** Free text shown after the row (throughput, latency percentiles). */
  readonly extra?: string;
};

export type MeasureOptions = {
  /** Operations per round; batched so the clock's own cost disappears. @default 200_000 */
  readonly ops?: number;
  /** Rounds after warm-up; the median is reported. @default 7 */
  readonly rounds?: number;
  /** Warm-up rounds, discarded (lets the JIT settle). @default 2 */
  readonly warmup?: number;
};

/**
 * Times `op` in batches: each round awaits `ops` sequential calls between two
 * reads of the monotonic clock. Sub-microsecond operations need batching; a
 * per-call timer would measure the timer.
 */
export async function measure(
  name: string,
  op: () => Promise<unknown>,
  { ops = 200_000, rounds = 7, warmup = 2 }: MeasureOptions = {},
): Promise<Measurement> {
  const samples: number[] = [];
  for (let round = 0; round < warmup + rounds; round++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < ops; i++) await op();
    const ns = Number(process.hrtime.bigint() - start) / ops;
    if (round >= warmup) samples.push(ns);
  }
  samples.sort((a, b) => a - b);
  return {
    name,
    nsPerOp: samples[Math.floor(samples.length / 2)] ?? NaN,
    minNs: samples[0] ?? NaN,
    maxNs: samples.at(-1) ?? NaN,
    rounds,
    opsPerRound: ops,
  };
}
