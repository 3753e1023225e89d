import { ServiceRegistry } from '../registry/service-registry.js';
import type { ServiceRegistryOptions } from '../registry/registry-options.js';
import type { TestService } from './test-service.js';

/**
 * A {@link ServiceRegistry} holding `services`, each under its own name, with
 * background health checks off unless `options.health` turns them on (tests
 * decide when health changes, not a timer).
 *
 * @example
 * import { createTestRegistry, createTestService } from 'switchboard/testing';
 * const auth = await createTestService('auth');
 * const registry = createTestRegistry([auth]);
 * registry.resolve('auth').baseUrl === auth.url; // true
 * await registry.close();
 * await auth.close();
 */
export function createTestRegistry(
  services: readonly TestService[] = [],
  options: ServiceRegistryOptions = {},
): ServiceRegistry {
  const registry = new ServiceRegistry({ health: false, ...options });
  for (const service of services) service.registerIn(registry);
  return registry;
}
