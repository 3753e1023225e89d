import type { ServiceInstance } from './service-instance.js';

/**
 * What an HTTP client needs from a registry: pick an instance, count calls in
 * flight, and report outcomes for passive health. `ServiceRegistry`
 * implements it; so can a test double or your own discovery.
 */
export type ServiceResolver = {
  /** A usable instance of `name`, avoiding the `exclude`d ids when another exists. */
  resolve(name: string, options?: { readonly exclude?: ReadonlySet<string> }): ServiceInstance;
  /** Counts a call in flight to `instance` until the returned function is called. */
  track(instance: ServiceInstance): () => void;
  /** Passive health: the outcome of a call to instance `id`. */
  report(id: string, outcome: 'success' | 'failure'): void;
};
