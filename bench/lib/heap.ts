import { GCProfiler } from 'node:v8';

type SpaceStats = { readonly spaceName: string; readonly spaceUsedSize: number };
type GcStatistic = {
  readonly gcType: string;
  readonly beforeGC: { readonly heapSpaceStatistics: readonly SpaceStats[] };
  readonly afterGC: { readonly heapSpaceStatistics: readonly SpaceStats[] };
};

const oldSpace = (spaces: readonly SpaceStats[]): number =>
  spaces.find((space) => space.spaceName === 'old_space')?.spaceUsedSize ?? 0;

/**
 * Counts the bytes young-generation collections promote to the old
 * generation while it runs: what outlived two of them, and is copied twice
 * and collected late by a full collection (ADR 0025). Summed per collection
 * (V8's `GCProfiler`), so a full collection in the middle does not hide it.
 */
export class PromotionMeter {
  readonly #profiler = new GCProfiler();

  start(): void {
    this.#profiler.start();
  }

  /** Bytes promoted since {@link start}. */
  stop(): number {
    const profile = this.#profiler.stop() as
      { readonly statistics: readonly GcStatistic[] } | undefined;
    let promoted = 0;
    for (const gc of profile?.statistics ?? []) {
      if (gc.gcType !== 'Scavenge' && gc.gcType !== 'MinorMarkCompact') continue;
      const grown =
        oldSpace(gc.afterGC.heapSpaceStatistics) - oldSpace(gc.beforeGC.heapSpaceStatistics);
      promoted += Math.max(0, grown);
    }
    return promoted;
  }
}
