import { integerOption, numberOption, ratioOption } from '../internal/options.js';

/** Options of {@link RetryBudget}; all optional. */
export type RetryBudgetOptions = {
  /** Retries may add at most this share of the requests in the window. @default 0.2 */
  readonly ratio?: number;
  /** Retries always allowed per second, so a quiet client can still retry. @default 10 */
  readonly minPerSecond?: number;
  /** The sliding window the ratio is measured over. @default 10_000 */
  readonly windowMs?: number;
};

const BUCKETS = 10;

/**
 * Caps retries to a share of recent traffic (Finagle's and Linkerd's retry
 * budget), so a struggling service sees at most `1 + ratio` times its normal
 * load instead of a retry storm. Counts live in ten time buckets: O(1) memory,
 * no timers.
 */
export class RetryBudget {
  readonly #ratio: number;
  readonly #floor: number;
  readonly #bucketMs: number;
  readonly #requests = new Float64Array(BUCKETS);
  readonly #retries = new Float64Array(BUCKETS);
  #bucket = 0;
  #bucketStart = 0;

  constructor(options: RetryBudgetOptions = {}) {
    this.#ratio = ratioOption('budget.ratio', options.ratio ?? 0.2);
    const minPerSecond = numberOption('budget.minPerSecond', options.minPerSecond ?? 10);
    const windowMs = integerOption('budget.windowMs', options.windowMs ?? 10_000, BUCKETS);
    this.#floor = (minPerSecond * windowMs) / 1000;
    this.#bucketMs = windowMs / BUCKETS;
  }

  /** Counts a first attempt. */
  recordRequest(now = Date.now()): void {
    this.#advance(now);
    this.#requests[this.#bucket] = (this.#requests[this.#bucket] ?? 0) + 1;
  }

  /** True when one more retry fits the budget now. */
  canRetry(now = Date.now()): boolean {
    this.#advance(now);
    const retries = sum(this.#retries);
    return retries < Math.max(this.#floor, this.#ratio * sum(this.#requests));
  }

  /** Counts a retry that is about to be sent. */
  recordRetry(now = Date.now()): void {
    this.#advance(now);
    this.#retries[this.#bucket] = (this.#retries[this.#bucket] ?? 0) + 1;
  }

  // Moves the current bucket forward to `now`, clearing the buckets that slid out.
  #advance(now: number): void {
    const steps = Math.floor((now - this.#bucketStart) / this.#bucketMs);
    if (steps <= 0) return;
    for (let i = 0; i < Math.min(steps, BUCKETS); i++) {
      this.#bucket = (this.#bucket + 1) % BUCKETS;
      this.#requests[this.#bucket] = 0;
      this.#retries[this.#bucket] = 0;
    }
    this.#bucketStart += steps * this.#bucketMs;
  }
}

function sum(values: Float64Array): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}
