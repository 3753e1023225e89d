/**
 * How much a run measures. `full` is `npm run bench`: the numbers.
 * `smoke` (`npm run bench -- --smoke`, run by CI) uses tiny counts: it only
 * proves every suite still runs end to end, and its ratios mean nothing.
 */
export type BenchMode = 'full' | 'smoke';

/** The size of a run, handed to every suite. */
export type RunScale = {
  readonly mode: BenchMode;
  /** `full` in a full run, `smoke` in a smoke run. */
  pick<T>(full: T, smoke: T): T;
};

export function runScale(mode: BenchMode): RunScale {
  return { mode, pick: (full, smoke) => (mode === 'full' ? full : smoke) };
}
