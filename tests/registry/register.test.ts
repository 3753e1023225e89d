import { describe, expect, it } from 'vitest';
import {
  CircuitOpenError,
  ServiceRegistry,
  type ServiceRegistryEvents,
  type ServiceRegistryOptions,
} from 'switchboard';
import { registry, thrownBy } from './helpers.js';

/** Asserts the library's option error: class, option name and stable code. */
function expectOptionError(fn: () => unknown, option: string, kind: typeof TypeError): void {
  const error = thrownBy(fn);
  expect(error).toBeInstanceOf(kind);
  expect(error).toMatchObject({ option, code: 'ERR_SWITCHBOARD_INVALID_OPTION' });
  expect((error as Error).message).toContain(`\`${option}\``);
}

describe('ServiceRegistry: register and deregister', () => {
  it('returns a live, local, healthy instance with its own breaker', () => {
    const metadata = { zone: 'eu-1' };
    const instance = registry().register({
      name: 'auth',
      baseUrl: 'http://127.0.0.1:8001/api/v1/',
      healthPath: '/health',
      metadata,
    });
    expect(instance).toMatchObject({
      name: 'auth',
      baseUrl: 'http://127.0.0.1:8001/api/v1',
      healthPath: '/health',
      metadata: { zone: 'eu-1' },
      status: 'healthy',
      inFlight: 0,
      local: true,
    });
    expect(instance.id).toMatch(/^auth-[0-9a-f-]{36}$/);
    expect(instance.breaker.name).toBe('auth@http://127.0.0.1:8001/api/v1');
    metadata.zone = 'changed';
    expect(instance.metadata).toEqual({ zone: 'eu-1' });
    expect(Object.isFrozen(instance.metadata)).toBe(true);
    expect(JSON.parse(JSON.stringify(instance))).toMatchObject({
      id: instance.id,
      status: 'healthy',
      breaker: 'closed',
    });
  });

  it('keeps several instances per service in registration order', () => {
    const reg = registry();
    const a = reg.register({ name: 'product', baseUrl: 'http://10.0.0.1' });
    const auth = reg.register({ name: 'auth', baseUrl: 'http://10.0.0.9', id: 'auth-1' });
    const b = reg.register({ name: 'product', baseUrl: 'http://10.0.0.2' });
    expect(reg.services()).toEqual(['product', 'auth']);
    expect(reg.instances('product')).toEqual([a, b]);
    expect(reg.instances('missing')).toEqual([]);
    expect(auth.id).toBe('auth-1');
    expect(reg.deregister(a.id)).toBe(true);
    expect(reg.deregister(a.id)).toBe(false);
    expect(reg.instances('product')).toEqual([b]);
    reg.deregister(b.id);
    expect(reg.services()).toEqual(['auth']);
  });

  it('gives each instance a breaker with the registry options, separate from its peers', async () => {
    const reg = registry({ breaker: { failureThreshold: 1, resetTimeoutMs: 60_000 } });
    const a = reg.register({ name: 'auth', baseUrl: 'http://10.0.0.1' });
    const b = reg.register({ name: 'auth', baseUrl: 'http://10.0.0.2' });
    await expect(a.breaker.call(() => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(a.breaker.state).toBe('open');
    expect(b.breaker.state).toBe('closed');
    await expect(a.breaker.call(() => 'never')).rejects.toBeInstanceOf(CircuitOpenError);
  });

  it('emits registered and deregistered with the instance, until unsubscribed', () => {
    const reg = registry();
    const seen: string[] = [];
    const offRegistered = reg.on('registered', ({ instance }) => seen.push(`+${instance.id}`));
    const offDeregistered = reg.on('deregistered', ({ instance }) => seen.push(`-${instance.id}`));
    reg.register({ name: 'auth', baseUrl: 'http://10.0.0.1', id: 'a' });
    reg.deregister('a');
    reg.deregister('a');
    offRegistered();
    offDeregistered();
    reg.register({ name: 'auth', baseUrl: 'http://10.0.0.1', id: 'b' });
    reg.deregister('b');
    expect(seen).toEqual(['+a', '-a']);
  });

  it('passes the live instance in events', () => {
    const reg = registry();
    const payloads: ServiceRegistryEvents['registered'][] = [];
    reg.on('registered', (payload) => payloads.push(payload));
    const instance = reg.register({ name: 'auth', baseUrl: 'http://10.0.0.1' });
    expect(payloads).toEqual([{ instance }]);
    expect(payloads[0]?.instance).toBe(instance);
  });
});

describe('ServiceRegistry: registration validation', () => {
  const base = { name: 'auth', baseUrl: 'http://10.0.0.1' };

  it('accepts names of letters, digits, "-", "_" and "."', () => {
    expect(registry().register({ ...base, name: 'User_Profile-v2.eu' }).name).toBe(
      'User_Profile-v2.eu',
    );
  });

  it.each([
    [{ ...base, name: '' }, 'name', TypeError],
    [{ ...base, name: 42 }, 'name', TypeError],
    [{ ...base, name: 'auth service' }, 'name', RangeError],
    [{ ...base, name: 'auth/v1' }, 'name', RangeError],
    [{ ...base, healthPath: 'health' }, 'healthPath', TypeError],
    [{ ...base, healthPath: 42 }, 'healthPath', TypeError],
    [{ ...base, id: '' }, 'id', TypeError],
    [{ ...base, metadata: 'zone=eu' }, 'metadata', TypeError],
    [{ ...base, metadata: ['eu'] }, 'metadata', TypeError],
    [{ ...base, metadata: { zone: 1 } }, 'metadata.zone', TypeError],
  ])('refuses %j naming %s', (registration, option, kind) => {
    const reg = registry();
    expectOptionError(() => reg.register(registration as never), option, kind);
    expect(reg.services()).toEqual([]);
  });

  it('refuses a registration that is not an object', () => {
    expectOptionError(() => registry().register(null as never), 'registration', TypeError);
  });

  it('refuses an id registered twice, keeping the first', () => {
    const reg = registry();
    const first = reg.register({ ...base, id: 'auth-1' });
    expectOptionError(
      () => reg.register({ ...base, baseUrl: 'http://10.0.0.2', id: 'auth-1' }),
      'id',
      RangeError,
    );
    expect(reg.instances('auth')).toEqual([first]);
  });

  it('does not mutate the registration', () => {
    const registration = Object.freeze({
      ...base,
      baseUrl: 'http://10.0.0.1/',
      metadata: Object.freeze({ zone: 'eu' }),
    });
    registry().register(registration);
    expect(registration).toEqual({
      ...base,
      baseUrl: 'http://10.0.0.1/',
      metadata: { zone: 'eu' },
    });
  });
});

describe('ServiceRegistry: options', () => {
  it.each([
    [{ maxEjectedPercent: 101 }, 'maxEjectedPercent', RangeError],
    [{ maxEjectedPercent: -1 }, 'maxEjectedPercent', RangeError],
    [{ maxEjectedPercent: '50' }, 'maxEjectedPercent', TypeError],
    [{ suspectTimeoutMs: -1 }, 'suspectTimeoutMs', RangeError],
    [{ balancer: 'fastest' }, 'balancer', RangeError],
    [{ balancer: {} }, 'balancer.pick', TypeError],
    [{ balancer: 42 }, 'balancer', TypeError],
    [{ health: true }, 'health', TypeError],
    [{ health: { intervalMs: 0 } }, 'health.intervalMs', RangeError],
    [{ health: { intervalMs: 2 ** 31 } }, 'health.intervalMs', RangeError],
    [{ health: { timeoutMs: Number.NaN } }, 'health.timeoutMs', TypeError],
    [{ health: { unhealthyThreshold: 0 } }, 'health.unhealthyThreshold', RangeError],
    [{ health: { healthyThreshold: 1.5 } }, 'health.healthyThreshold', RangeError],
    [{ health: { concurrency: 0 } }, 'health.concurrency', RangeError],
    [{ breaker: { failureThreshold: 0 } }, 'breaker.failureThreshold', RangeError],
    [{ breaker: { resetTimeoutMs: 'soon' } }, 'breaker.resetTimeoutMs', TypeError],
    [{ breaker: { strategy: {} } }, 'breaker.strategy', TypeError],
    [{ breaker: 5 }, 'breaker', TypeError],
    [{ store: {} }, 'store.announce', TypeError],
    [{ store: 'redis://localhost' }, 'store', TypeError],
    [{ logger: { debug() {} } }, 'logger.info', TypeError],
  ])('refuses %j naming %s', (options, option, kind) => {
    expectOptionError(() => new ServiceRegistry(options as ServiceRegistryOptions), option, kind);
  });

  it('does not mutate the options object', async () => {
    const options = {
      balancer: 'random',
      maxEjectedPercent: 30,
      health: Object.freeze({ intervalMs: 60_000, concurrency: 2 }),
      breaker: Object.freeze({ failureThreshold: 2 }),
    } as const;
    const frozen = Object.freeze(options);
    const snapshot = structuredClone(options);
    const reg = new ServiceRegistry(frozen);
    reg.register({ name: 'auth', baseUrl: 'http://10.0.0.1', healthPath: '/health' });
    await reg.close();
    expect(frozen).toEqual(snapshot);
  });

  it('close() is idempotent and the registry still answers afterwards', async () => {
    const reg = registry();
    const instance = reg.register({ name: 'auth', baseUrl: 'http://10.0.0.1' });
    const closing = reg.close();
    expect(reg.close()).toBe(closing);
    await closing;
    expect(reg.resolve('auth')).toBe(instance);
    expect(reg.register({ name: 'auth', baseUrl: 'http://10.0.0.2' }).local).toBe(true);
  });
});
