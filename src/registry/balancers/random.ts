import { functionOption } from '../../internal/options.js';
import type { ServiceInstance } from '../service-instance.js';
import type { Balancer } from './balancer.js';

/**
 * Options of {@link RandomBalancer} and `LeastOutstandingBalancer`.
 *
 * @example
 * import { RandomBalancer } from 'switchboard';
 * let seed = 1;
 * const balancer = new RandomBalancer({ random: () => (seed = (seed * 16807) % 2147483647) / 2147483647 });
 */
export type RandomBalancerOptions = {
  /**
   * Source of numbers in [0, 1); inject a seeded one for reproducible tests.
   * @default Math.random
   */
  readonly random?: () => number;
};

/**
 * Picks a candidate uniformly at random: no shared state, so many registries
 * (or processes) spread load without coordinating.
 *
 * @example
 * import { RandomBalancer, ServiceRegistry } from 'switchboard';
 * const registry = new ServiceRegistry({ balancer: new RandomBalancer() });
 */
export class RandomBalancer implements Balancer {
  readonly #random: () => number;

  /** @throws {TypeError} when `random` is not a function. */
  constructor(options: RandomBalancerOptions = {}) {
    this.#random = randomOption(options);
  }

  pick(candidates: readonly ServiceInstance[]): ServiceInstance {
    return candidates[indexBelow(candidates.length, this.#random)] as ServiceInstance;
  }
}

/** Validates the `random` option (shared with the least-outstanding balancer). */
export function randomOption(options: RandomBalancerOptions): () => number {
  return options.random === undefined ? Math.random : functionOption('random', options.random);
}

/** An integer in [0, n), clamped so a source returning exactly 1 cannot overflow. */
export function indexBelow(n: number, random: () => number): number {
  return Math.min(n - 1, Math.floor(random() * n));
}
