import { cpuMicros } from './load.js';
import type { Measurement } from './measure.js';

/** Options of {@link measureCpu}. */
export type MeasureCpuOptions = {
  /** Operations per round. @default 10_000 */
  readonly ops?: number;
  /** Rounds after warm-up; the median is reported. @default 7 */
  readonly rounds?: number;
  /** Warm-up rounds, discarded. @default 2 */
  readonly warmup?: number;
};

/**
 * Like `measure`, in CPU time rather than wall time: `ops` sequential calls
 * per round, the median round's CPU ns (user + system, this process) per call.
 * For costs that load tables report as CPU per operation, so the two compare;
 * on a shared machine it is also the steadier figure.
 */
export async function measureCpu(
  name: string,
  op: () => Promise<unknown>,
  { ops = 10_000, rounds = 7, warmup = 2 }: MeasureCpuOptions = {},
): Promise<Measurement> {
  const samples: number[] = [];
  for (let round = 0; round < warmup + rounds; round++) {
    const since = process.cpuUsage();
    for (let i = 0; i < ops; i++) await op();
    if (round >= warmup) samples.push((cpuMicros(since) * 1_000) / ops);
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
