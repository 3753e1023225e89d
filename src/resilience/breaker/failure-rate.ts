import { integerOption, invalidOption, ratioOption } from '../../internal/options.js';
import type { BreakerStrategy } from './breaker-strategy.js';

/** Options of {@link FailureRate}. */
export type FailureRateOptions = {
  /** Open when failures / calls in the window reach this ratio, 0 < x ≤ 1. */
  readonly threshold: number;
  /** How many of the most recent calls the window holds. @default 20 */
  readonly windowSize?: number;
  /** Never open on fewer calls than this in the window. @default 10, or `windowSize` if smaller */
  readonly minimumCalls?: number;
};

/**
 * Opens when the failure rate over a sliding window of the last `windowSize`
 * calls reaches `threshold`, once the window holds at least `minimumCalls`.
 */
export class FailureRate implements BreakerStrategy {
  readonly threshold: number;
  readonly windowSize: number;
  readonly minimumCalls: number;
  // A ring of outcomes, 1 = failure; the counters make each step O(1).
  readonly #ring: Uint8Array;
  #next = 0;
  #calls = 0;
  #failures = 0;

  constructor(options: FailureRateOptions) {
    // JavaScript callers can pass anything; name the option rather than fail on a property read.
    const given: unknown = options;
    if (typeof given !== 'object' || given === null) {
      invalidOption(
        'failureRate',
        `expected an object, got ${given === null ? 'null' : typeof given}`,
        TypeError,
      );
    }
    this.threshold = ratioOption('failureRate.threshold', options.threshold);
    this.windowSize = integerOption('failureRate.windowSize', options.windowSize ?? 20);
    this.minimumCalls = integerOption(
      'failureRate.minimumCalls',
      options.minimumCalls ?? Math.min(10, this.windowSize),
    );
    if (this.minimumCalls > this.windowSize) {
      invalidOption(
        'failureRate.windowSize',
        `the window (${this.windowSize}) is smaller than failureRate.minimumCalls (${this.minimumCalls})`,
      );
    }
    this.#ring = new Uint8Array(this.windowSize);
  }

  success(): void {
    this.#record(0);
  }

  failure(): boolean {
    this.#record(1);
    // Divide rather than multiply: `threshold * calls` can round up past an exact
    // count (0.28 * 25 is 7.000000000000001), so 7 of 25 would miss a 28% threshold.
    // A quotient is the double nearest the true ratio, so exact ratios compare equal.
    return this.#calls >= this.minimumCalls && this.#failures / this.#calls >= this.threshold;
  }

  reset(): void {
    this.#ring.fill(0);
    this.#next = 0;
    this.#calls = 0;
    this.#failures = 0;
  }

  #record(outcome: 0 | 1): void {
    if (this.#calls === this.windowSize) this.#failures -= this.#ring[this.#next] ?? 0;
    else this.#calls += 1;
    this.#ring[this.#next] = outcome;
    this.#failures += outcome;
    this.#next = (this.#next + 1) % this.windowSize;
  }
}
