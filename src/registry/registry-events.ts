import type { InstanceStatus, ServiceInstance } from './service-instance.js';

/**
 * The typed events of a `ServiceRegistry`, subscribed with
 * `registry.on(name, listener)` (which returns the unsubscribe function).
 *
 * @example
 * import { ServiceRegistry, type ServiceRegistryEvents } from 'switchboard';
 * const registry = new ServiceRegistry();
 * const log = ({ instance, to, reason }: ServiceRegistryEvents['health-changed']) =>
 *   console.warn(`${instance.id} is ${to}: ${reason}`);
 * registry.on('health-changed', log);
 */
export type ServiceRegistryEvents = {
  /** An instance was added: registered here (`local`) or discovered through the store. */
  registered: { readonly instance: ServiceInstance };
  /** An instance was removed: deregistered here, or gone from the store. */
  deregistered: { readonly instance: ServiceInstance };
  'health-changed': {
    readonly instance: ServiceInstance;
    readonly from: InstanceStatus;
    readonly to: InstanceStatus;
    /** Why, for people: "a call failed", "health check failed 3 times in a row (last: answered 503)". */
    readonly reason: string;
  };
  /** The store refused a local instance; its heartbeat retries it. */
  'announce-failed': { readonly instance: ServiceInstance; readonly error: unknown };
  /** The store could not withdraw a deregistered instance; it expires there on its own. */
  'withdraw-failed': { readonly instance: ServiceInstance; readonly error: unknown };
};
