import type { ServiceInstance } from './service-instance.js';

/**
 * Options of `ServiceRegistry.resolve()`.
 *
 * @example
 * import type { ResolveOptions } from 'switchboard';
 * const retry: ResolveOptions = { exclude: new Set(['auth-1']) };
 */
export type ResolveOptions = {
  /** Instance ids to avoid (the ones a retry already tried), honoured when another candidate exists. */
  readonly exclude?: ReadonlySet<string> | undefined;
};

/** The instances a balancer may choose from, or why there are none. */
export type Selection<T> =
  | { readonly candidates: readonly T[]; readonly unavailable?: undefined }
  | { readonly candidates?: undefined; readonly unavailable: string };

/**
 * Narrows a service's instances (in registration order) to the ones a call
 * may go to, in this order:
 * 1. `unhealthy` instances never take calls;
 * 2. instances whose breaker is open are ejected, but never more than
 *    `maxEjectedPercent` of the service's instances, and never the last
 *    usable one (its own breaker then fails fast with a `retryAfterMs`,
 *    which says more than "unavailable"); the soonest to probe stay;
 * 3. `healthy` instances if any is left, else the `suspect` ones;
 * 4. minus the `exclude`d ids, unless that would leave none.
 *
 * Reads `breaker.state`, which turns an open breaker past its reset timeout
 * half-open: such an instance is a candidate again, and the call is its probe.
 */
export function selectCandidates<T extends ServiceInstance>(
  instances: readonly T[],
  maxEjectedPercent: number,
  exclude: ReadonlySet<string> | undefined,
): Selection<T> {
  const usable = instances.filter((instance) => instance.status !== 'unhealthy');
  if (usable.length === 0) {
    const n = instances.length;
    return {
      unavailable: n === 1 ? 'its only instance is unhealthy' : `all ${n} instances are unhealthy`,
    };
  }
  const ejected = ejectedByBreaker(usable, instances.length, maxEjectedPercent);
  const remaining = ejected.size === 0 ? usable : usable.filter((i) => !ejected.has(i));
  const healthy = remaining.filter((instance) => instance.status === 'healthy');
  const tier = healthy.length > 0 ? healthy : remaining;
  if (exclude === undefined || exclude.size === 0) return { candidates: tier };
  const fresh = tier.filter((instance) => !exclude.has(instance.id));
  return { candidates: fresh.length > 0 ? fresh : tier };
}

function ejectedByBreaker<T extends ServiceInstance>(
  usable: readonly T[],
  total: number,
  maxEjectedPercent: number,
): ReadonlySet<T> {
  const open = usable.filter((instance) => instance.breaker.state === 'open');
  if (open.length === 0) return new Set();
  const limit = Math.min(Math.floor((total * maxEjectedPercent) / 100), usable.length - 1);
  if (limit <= 0) return new Set();
  // Eject the ones that will stay open longest; an isolated breaker never probes.
  const byProbe = open
    .map((instance) => ({ instance, probeAt: instance.breaker.stats().nextAttemptAt ?? Infinity }))
    .sort((a, b) => b.probeAt - a.probeAt);
  return new Set(byProbe.slice(0, limit).map(({ instance }) => instance));
}
