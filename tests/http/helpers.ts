import { afterEach } from 'vitest';
import { ServiceRegistry, type ServiceRegistryOptions } from 'switchboard';
import { createTestService, type TestService } from 'switchboard/testing';

/** Services and registries made by a test, closed after it. */
const open: { close(): Promise<void> }[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((item) => item.close()));
});

/** A real test service on 127.0.0.1, closed after the test. */
export async function testService(name: string): Promise<TestService> {
  const service = await createTestService(name);
  open.push(service);
  return service;
}

/** A registry without background health checks holding `services`, closed after the test. */
export function registryWith(
  services: readonly TestService[],
  options: ServiceRegistryOptions = {},
): ServiceRegistry {
  const registry = new ServiceRegistry({ health: false, ...options });
  open.push(registry);
  for (const service of services) service.registerIn(registry);
  return registry;
}

/** Settles `promise` into a value, so a test can assert on a rejection's fields. */
export async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}
