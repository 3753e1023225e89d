import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

// vitest's workers run without --expose-gc: the flag is set at run time, and
// a fresh context then hands out the gc function it exposes.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/**
 * The used heap, in bytes, once full collections stop freeing memory:
 * collections a few milliseconds apart, so finalizers and the work they
 * release can run in between; at most eight. What a test compares before and
 * after a flood, so garbage not yet collected never passes for a leak.
 */
export async function settledHeapUsed(): Promise<number> {
  let used = Infinity;
  for (let round = 0; round < 8; round++) {
    gc();
    const now = process.memoryUsage().heapUsed;
    if (used - now < 64 * 1024) return Math.min(used, now);
    used = now;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return used;
}

/** Bytes as MiB with two decimals, for a ledger line. */
export function mib(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(2);
}
