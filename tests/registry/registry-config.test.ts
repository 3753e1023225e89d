import { afterEach, describe, expect, it, vi } from 'vitest';
import { InvalidUrlError, ServiceRegistry, type ServiceConfig } from 'switchboard';
import { thrownBy } from './helpers.js';

const opened: ServiceRegistry[] = [];
afterEach(async () => {
  vi.unstubAllEnvs();
  await Promise.all(opened.splice(0).map((registry) => registry.close()));
});

function fromConfig(config: ServiceConfig): ServiceRegistry {
  const registry = ServiceRegistry.fromConfig(config, { health: false });
  opened.push(registry);
  return registry;
}

function fromEnv(env?: Record<string, string>): ServiceRegistry {
  const registry = ServiceRegistry.fromEnv(env, { health: false });
  opened.push(registry);
  return registry;
}

/** Each service's instances as "baseUrl healthPath". */
function contents(registry: ServiceRegistry): Record<string, string[]> {
  return Object.fromEntries(
    registry
      .services()
      .map((name) => [
        name,
        registry.instances(name).map((i) => `${i.baseUrl} ${i.healthPath ?? '-'}`),
      ]),
  );
}

describe('ServiceRegistry.fromConfig', () => {
  it('takes a URL, a list of URLs, or { baseUrl, healthPath } per service', () => {
    const registry = fromConfig({
      auth: 'http://127.0.0.1:8001/api/v1/',
      product: ['http://10.0.0.1:8002', 'http://10.0.0.2:8002'],
      billing: { baseUrl: ['http://10.0.0.3'], healthPath: '/health' },
    });
    expect(contents(registry)).toEqual({
      auth: ['http://127.0.0.1:8001/api/v1 -'],
      product: ['http://10.0.0.1:8002 -', 'http://10.0.0.2:8002 -'],
      billing: ['http://10.0.0.3 /health'],
    });
    expect(registry.instances('product').every((i) => i.local)).toBe(true);
  });

  it('passes the options on', async () => {
    const registry = ServiceRegistry.fromConfig(
      { auth: 'http://10.0.0.1' },
      { breaker: { failureThreshold: 1 } },
    );
    opened.push(registry);
    const [auth] = registry.instances('auth');
    await expect(auth?.breaker.call(() => Promise.reject(new Error('x')))).rejects.toThrow();
    expect(auth?.breaker.state).toBe('open');
  });

  it('names the entry of a bad URL', () => {
    const error = thrownBy(() =>
      fromConfig({ product: ['http://10.0.0.1', 'http://user:pw@10.0.0.2'] }),
    );
    expect(error).toBeInstanceOf(InvalidUrlError);
    expect((error as Error).message).toMatch(
      /^config\.product\[1\] .*must not contain credentials/,
    );
    expect((thrownBy(() => fromConfig({ auth: 'nope' })) as Error).message).toMatch(
      /^config\.auth "nope" is not an absolute URL/,
    );
  });

  it.each([
    [{ 'auth service': 'http://10.0.0.1' }, 'config.auth service', RangeError],
    [{ auth: [] }, 'config.auth', RangeError],
    [{ auth: 42 }, 'config.auth', TypeError],
    [
      { auth: { baseUrl: 'http://10.0.0.1', healthPath: 'health' } },
      'config.auth.healthPath',
      TypeError,
    ],
    [null, 'config', TypeError],
  ])('refuses %j naming %s', (config, option, kind) => {
    const error = thrownBy(() => fromConfig(config as unknown as ServiceConfig));
    expect(error).toBeInstanceOf(kind);
    expect(error).toMatchObject({ option });
  });
});

describe('ServiceRegistry.fromEnv', () => {
  it('reads SWITCHBOARD_SERVICE_<NAME>_URL and _HEALTH_PATH, naming services in kebab case', () => {
    const registry = fromEnv({
      SWITCHBOARD_SERVICE_USER_PROFILE_URL: ' http://10.0.0.1:8001/ , http://10.0.0.2:8001,',
      SWITCHBOARD_SERVICE_USER_PROFILE_HEALTH_PATH: '/health',
      SWITCHBOARD_SERVICE_AUTH_URL: 'http://127.0.0.1:8001/api/v1',
      SWITCHBOARD_SERVICE_AUTH_HEALTH_PATH: '',
      SWITCHBOARD_SERVICE_lower_URL: 'http://ignored',
      SWITCHBOARD_SERVICES: 'http://ignored',
      PATH: '/usr/bin',
    });
    expect(contents(registry)).toEqual({
      auth: ['http://127.0.0.1:8001/api/v1 -'],
      'user-profile': ['http://10.0.0.1:8001 /health', 'http://10.0.0.2:8001 /health'],
    });
  });

  it('reads process.env by default', () => {
    vi.stubEnv('SWITCHBOARD_SERVICE_STUBBED_URL', 'http://10.9.9.9');
    expect(contents(fromEnv())['stubbed']).toEqual(['http://10.9.9.9 -']);
  });

  it('names the variable holding a bad URL', () => {
    const error = thrownBy(() => fromEnv({ SWITCHBOARD_SERVICE_AUTH_URL: 'http://x/?key=secret' }));
    expect(error).toBeInstanceOf(InvalidUrlError);
    expect((error as Error).message).toBe(
      'SWITCHBOARD_SERVICE_AUTH_URL http://x/ must not have a query string',
    );
  });

  it.each([
    [{ SWITCHBOARD_SERVICE_AUTH_URL: ' , ' }, 'SWITCHBOARD_SERVICE_AUTH_URL', RangeError],
    [
      { SWITCHBOARD_SERVICE_AUTH_HEALTH_PATH: '/health' },
      'SWITCHBOARD_SERVICE_AUTH_HEALTH_PATH',
      RangeError,
    ],
    [
      {
        SWITCHBOARD_SERVICE_AUTH_URL: 'http://10.0.0.1',
        SWITCHBOARD_SERVICE_AUTH_HEALTH_PATH: 'health',
      },
      'SWITCHBOARD_SERVICE_AUTH_HEALTH_PATH',
      TypeError,
    ],
  ])('refuses %j naming %s', (env, option, kind) => {
    const error = thrownBy(() => fromEnv(env));
    expect(error).toBeInstanceOf(kind);
    expect(error).toMatchObject({ option });
  });
});
