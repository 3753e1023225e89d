import type { ServiceInstance } from '../service-instance.js';
import type { Balancer } from './balancer.js';

/**
 * Takes the candidates in turn, one counter per service, so N instances share
 * the calls evenly. When the candidate list changes (an instance is ejected or
 * comes back) the turn continues from the same counter: no restart, no burst
 * on the first instance.
 *
 * @example
 * import { RoundRobinBalancer, ServiceRegistry } from 'switchboard';
 * const registry = new ServiceRegistry({ balancer: new RoundRobinBalancer() });
 */
export class RoundRobinBalancer implements Balancer {
  readonly #next = new Map<string, number>();

  pick(candidates: readonly ServiceInstance[], service: string): ServiceInstance {
    const turn = this.#next.get(service) ?? 0;
    // Wraps well before 2^53 so the counter stays an exact integer forever.
    this.#next.set(service, (turn + 1) % 1_000_000_007);
    return candidates[turn % candidates.length] as ServiceInstance;
  }
}
