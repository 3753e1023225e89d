import type { ServiceInstance } from '../service-instance.js';
import type { Balancer } from './balancer.js';
import { indexBelow, randomOption, type RandomBalancerOptions } from './random.js';

/**
 * Power of two choices: draws two distinct candidates at random and takes the
 * one with fewer calls in flight (the first drawn on a tie). Nearly as good as
 * always taking the least loaded, without herding every caller onto the same
 * instance the moment it looks idle. Counts calls through `registry.track()`.
 *
 * @example
 * import { ServiceRegistry } from 'switchboard';
 * const registry = new ServiceRegistry({ balancer: 'least-outstanding' });
 */
export class LeastOutstandingBalancer implements Balancer {
  readonly #random: () => number;

  /** @throws {TypeError} when `random` is not a function. */
  constructor(options: RandomBalancerOptions = {}) {
    this.#random = randomOption(options);
  }

  pick(candidates: readonly ServiceInstance[]): ServiceInstance {
    const n = candidates.length;
    const i = indexBelow(n, this.#random);
    let j = indexBelow(n - 1, this.#random);
    // Draw the second from the other n - 1 so the two are always distinct.
    if (j >= i) j += 1;
    const a = candidates[i] as ServiceInstance;
    const b = candidates[j] ?? a;
    return b.inFlight < a.inFlight ? b : a;
  }
}
