import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  CircuitOpenError,
  ServiceNotFoundError,
  ServiceUnavailableError,
  isSwitchboardError,
  type ServiceInstance,
  type ServiceRegistry,
  type ServiceRegistryOptions,
} from 'switchboard';
import { healthServer, refusedUrl, registry, thrownBy } from './helpers.js';

const START = new Date('2026-01-01T00:00:00.000Z').getTime();

function withInstances(count: number, options: ServiceRegistryOptions = {}) {
  const reg = registry({ breaker: { failureThreshold: 1, resetTimeoutMs: 60_000 }, ...options });
  const instances = Array.from({ length: count }, (_, i) =>
    reg.register({ name: 'auth', baseUrl: `http://10.0.0.${i + 1}`, id: 'abcd'.charAt(i) }),
  );
  return { reg, instances };
}

function picked(reg: ServiceRegistry, times = 12, exclude?: ReadonlySet<string>): string {
  const ids = new Set(Array.from({ length: times }, () => reg.resolve('auth', { exclude }).id));
  return [...ids].sort().join('');
}

async function open(instance: ServiceInstance): Promise<void> {
  await expect(instance.breaker.call(() => Promise.reject(new Error('down')))).rejects.toThrow();
  expect(instance.breaker.state).toBe('open');
}

describe('resolve(): errors', () => {
  it('names the known services when the service is unknown', () => {
    const reg = registry();
    reg.register({ name: 'auth', baseUrl: 'http://10.0.0.1' });
    reg.register({ name: 'product', baseUrl: 'http://10.0.0.2' });
    const error = thrownBy(() => reg.resolve('billing'));
    expect(error).toBeInstanceOf(ServiceNotFoundError);
    expect(error).toMatchObject({
      code: 'SERVICE_NOT_FOUND',
      service: 'billing',
      message: 'No service "billing" is registered (known: auth, product)',
    });
    expect((thrownBy(() => registry().resolve('auth')) as Error).message).toContain(
      'the registry is empty',
    );
  });

  it('says when every instance is unhealthy', async () => {
    const refused = await refusedUrl();
    const reg = registry({ health: { unhealthyThreshold: 1, intervalMs: 60_000 } });
    for (const path of ['/a', '/b', '/c']) {
      reg.register({ name: 'auth', baseUrl: refused + path, healthPath: '/health' });
    }
    reg.register({ name: 'solo', baseUrl: refused, healthPath: '/health' });
    await reg.checkNow();
    const error = thrownBy(() => reg.resolve('auth'));
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    if (!isSwitchboardError(error, 'SERVICE_UNAVAILABLE')) throw new Error('wrong error');
    expect(error.service).toBe('auth');
    expect(error.message).toBe('Service "auth" is unavailable: all 3 instances are unhealthy');
    expect((thrownBy(() => reg.resolve('solo')) as Error).message).toBe(
      'Service "solo" is unavailable: its only instance is unhealthy',
    );
  });
});

describe('resolve(): status', () => {
  it('never returns an unhealthy instance', async () => {
    const refused = await refusedUrl();
    const reg = registry({ health: { unhealthyThreshold: 1, intervalMs: 60_000 } });
    const sick = reg.register({ name: 'auth', baseUrl: refused, healthPath: '/health', id: 'a' });
    reg.register({ name: 'auth', baseUrl: 'http://10.0.0.2', id: 'b' });
    await reg.checkNow();
    expect(sick.status).toBe('unhealthy');
    expect(picked(reg)).toBe('b');
  });

  it('uses suspect instances only when no healthy one is left', () => {
    const { reg, instances } = withInstances(3);
    reg.report('a', 'failure');
    expect(instances[0]?.status).toBe('suspect');
    expect(picked(reg)).toBe('bc');
    reg.report('b', 'failure');
    expect(picked(reg)).toBe('c');
    reg.report('c', 'failure');
    expect(picked(reg)).toBe('abc');
  });
});

describe('resolve(): outlier ejection by open breakers', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(START);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** Four suspect instances; a, b and c opened their breakers one second apart. */
  async function threeOpen(maxEjectedPercent?: number) {
    const { reg, instances } = withInstances(
      4,
      maxEjectedPercent === undefined ? {} : { maxEjectedPercent },
    );
    const [a, b, c] = instances as [ServiceInstance, ServiceInstance, ServiceInstance];
    for (const instance of [a, b, c]) {
      await open(instance);
      vi.setSystemTime(Date.now() + 1_000);
    }
    reg.report('d', 'failure');
    expect(instances.map((i) => i.status)).toEqual(['suspect', 'suspect', 'suspect', 'suspect']);
    return reg;
  }

  it.each([
    [undefined, 'ad'],
    [50, 'ad'],
    [25, 'abd'],
    [0, 'abcd'],
    [100, 'd'],
  ])(
    'maxEjectedPercent %s leaves %s: the soonest to probe stay in',
    async (maxEjectedPercent, expected) => {
      expect(picked(await threeOpen(maxEjectedPercent))).toBe(expected);
    },
  );

  it('never ejects the only instance: its breaker fails fast instead', async () => {
    const { reg, instances } = withInstances(1, { maxEjectedPercent: 100 });
    const [a] = instances as [ServiceInstance];
    await open(a);
    expect(reg.resolve('auth')).toBe(a);
    await expect(a.breaker.call(() => 'never')).rejects.toBeInstanceOf(CircuitOpenError);
  });

  it('keeps the soonest to probe when every breaker is open', async () => {
    const { reg, instances } = withInstances(2, { maxEjectedPercent: 100 });
    const [a, b] = instances as [ServiceInstance, ServiceInstance];
    await open(a);
    vi.setSystemTime(Date.now() + 1_000);
    await open(b);
    expect(picked(reg)).toBe('a');
    b.breaker.isolate();
    a.breaker.isolate();
    expect(picked(reg)).toBe('b');
  });

  it('offers an ejected instance again once its breaker turns half-open', async () => {
    const { reg, instances } = withInstances(3);
    for (const id of ['a', 'b', 'c']) reg.report(id, 'failure');
    await open(instances[0] as ServiceInstance);
    expect(picked(reg)).toBe('bc');
    vi.setSystemTime(Date.now() + 60_000);
    expect(picked(reg)).toBe('abc');
    expect(instances[0]?.breaker.state).toBe('half-open');
  });
});

describe('resolve(): exclude', () => {
  it('avoids excluded instances while another candidate exists', () => {
    const { reg } = withInstances(3);
    expect(picked(reg, 12, new Set(['a']))).toBe('bc');
    expect(picked(reg, 12, new Set(['a', 'c']))).toBe('b');
  });

  it('ignores the exclusion when it would leave nothing', () => {
    const { reg } = withInstances(2);
    expect(picked(reg, 12, new Set(['a', 'b']))).toBe('ab');
    const single = withInstances(1).reg;
    expect(single.resolve('auth', { exclude: new Set(['a']) }).id).toBe('a');
  });

  it('applies within the chosen status tier: healthy first, then the exclusion', () => {
    const { reg } = withInstances(2);
    reg.report('b', 'failure');
    expect(picked(reg, 6, new Set(['a']))).toBe('a');
  });
});

describe('resolve(): suspects that nothing checks', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(START);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('are offered calls again after suspectTimeoutMs', () => {
    const { reg } = withInstances(2, { suspectTimeoutMs: 1_000 });
    const changes: string[] = [];
    reg.on('health-changed', ({ instance, from, to, reason }) =>
      changes.push(`${instance.id} ${from}→${to}: ${reason}`),
    );
    reg.report('a', 'failure');
    vi.setSystemTime(START + 999);
    expect(picked(reg)).toBe('b');
    vi.setSystemTime(START + 1_000);
    expect(picked(reg)).toBe('ab');
    expect(changes).toEqual([
      'a healthy→suspect: a call failed',
      'a suspect→healthy: suspect for 1000 ms with no health check',
    ]);
  });

  it('stay suspect while health checks decide for them', async () => {
    const server = await healthServer();
    server.status = 503;
    const reg = registry({ suspectTimeoutMs: 1_000, health: { intervalMs: 60_000 } });
    const a = reg.register({ name: 'auth', baseUrl: server.url, healthPath: '/health' });
    reg.register({ name: 'auth', baseUrl: 'http://10.0.0.2' });
    reg.report(a.id, 'failure');
    await reg.checkNow(a.id);
    vi.setSystemTime(START + 5_000);
    reg.resolve('auth');
    expect(a.status).toBe('suspect');
  });
});
