/** Rounds of several contenders, interleaved. */
export type AlternateOptions = {
  /** Measured rounds per contender. @default 3 */
  readonly rounds?: number;
  /** Unmeasured rounds per contender first (JIT, connections, server caches). @default 1 */
  readonly warmup?: number;
};

/**
 * Runs `round` for every contender, round after round, the order reversed
 * every other round (A B B A A B …): on a shared, noisy machine a slow spell
 * then falls on every contender alike, instead of on whichever ran its
 * rounds in it; and a young-generation collection before each round keeps
 * one contender's short-lived garbage out of the next one's measurement.
 * Returns each contender's measured samples, in the order of `contenders`.
 */
export async function alternate<C, S>(
  contenders: readonly C[],
  round: (contender: C, index: number) => Promise<S>,
  { rounds = 3, warmup = 1 }: AlternateOptions = {},
): Promise<S[][]> {
  const samples: S[][] = contenders.map(() => []);
  for (let index = 0; index < warmup + rounds; index++) {
    const order = contenders.map((_, i) => i);
    if (index % 2 === 1) order.reverse();
    for (const i of order) {
      // Each round starts on an empty young generation (the bench runs
      // with --expose-gc): no contender pays, in its latency tail, for the
      // garbage the one before it left. Not a full collection: after one,
      // the next 100 ms or so of code that promotes much ran up to 2× slower,
      // which charged the raw baselines more than our code (ADR 0012).
      globalThis.gc?.({ type: 'minor' });
      const sample = await round(contenders[i] as C, index);
      if (index >= warmup) samples[i]?.push(sample);
    }
  }
  return samples;
}

/** The median of `values` (the upper one of an even count); `NaN` when empty. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

/** The `q` quantile (0–1) of an ascending sorted array, nearest rank; `NaN` when empty. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}
