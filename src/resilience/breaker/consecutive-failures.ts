import { integerOption } from '../../internal/options.js';
import type { BreakerStrategy } from './breaker-strategy.js';

/** Opens after `threshold` failures in a row; any success starts the count again. */
export class ConsecutiveFailures implements BreakerStrategy {
  readonly threshold: number;
  #count = 0;

  constructor(threshold: number) {
    this.threshold = integerOption('failureThreshold', threshold);
  }

  success(): void {
    this.#count = 0;
  }

  failure(): boolean {
    this.#count += 1;
    return this.#count >= this.threshold;
  }

  reset(): void {
    this.#count = 0;
  }
}
