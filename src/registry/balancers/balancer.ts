import type { ServiceInstance } from '../service-instance.js';

/**
 * Chooses one instance among the candidates `resolve()` has left: healthy (or,
 * failing that, suspect), not ejected, not excluded. Called only with two or
 * more candidates, so a balancer never has to handle an empty or single list.
 * Candidates come in registration order.
 *
 * @example
 * import { ServiceRegistry, type Balancer } from 'switchboard';
 * // Prefer instances in our own zone, round-robin otherwise.
 * const zoneFirst: Balancer = {
 *   pick: (candidates) => candidates.find((i) => i.metadata['zone'] === 'eu-1') ?? candidates[0]!,
 * };
 * const registry = new ServiceRegistry({ balancer: zoneFirst });
 */
export type Balancer = {
  /** Returns one of `candidates` (the same object); `service` is the name being resolved. */
  pick(candidates: readonly ServiceInstance[], service: string): ServiceInstance;
};

/**
 * The built-in balancers by name: `'round-robin'` ({@link RoundRobinBalancer}),
 * `'random'` ({@link RandomBalancer}), `'least-outstanding'`
 * ({@link LeastOutstandingBalancer}, power of two choices).
 *
 * @example
 * import { ServiceRegistry } from 'switchboard';
 * const registry = new ServiceRegistry({ balancer: 'random' });
 */
export type BalancerName = 'round-robin' | 'random' | 'least-outstanding';
