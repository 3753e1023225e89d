import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, inject, it } from 'vitest';
import {
  HostNotAllowedError,
  ServiceRegistry,
  isSwitchboardError,
  redisRegistryStore,
  type Logger,
} from 'switchboard';
import { registry, thrownBy, waitFor } from './helpers.js';

const METADATA_URLS = [
  'http://169.254.169.254/latest/meta-data',
  'http://169.254.170.2/v2/credentials', // ECS task credentials
  'http://169.254.0.1:8080',
  'http://2852039166/', // 169.254.169.254 written as one number
  'http://0xa9.0xfe.0xa9.0xfe/', // and in hex
  'http://[::ffff:169.254.169.254]/',
  'http://[64:ff9b::a9fe:a9fe]/', // through NAT64
  'http://[fe80::1]:8001',
  'http://[fd00:ec2::254]/latest/meta-data',
  'http://metadata.google.internal/computeMetadata/v1',
  'http://METADATA.google.internal./computeMetadata/v1',
  'http://metadata/computeMetadata/v1',
];

function refusal(fn: () => unknown): HostNotAllowedError {
  const error = thrownBy(fn);
  if (!isSwitchboardError(error, 'HOST_NOT_ALLOWED')) {
    throw new Error(`expected HOST_NOT_ALLOWED, got ${String(error)}`);
  }
  return error;
}

describe('ServiceRegistry: hosts it refuses', () => {
  it.each(METADATA_URLS)('refuses the metadata or link-local host of %s by default', (baseUrl) => {
    const reg = registry();
    const error = refusal(() => reg.register({ name: 'auth', baseUrl }));
    expect(error).toBeInstanceOf(HostNotAllowedError);
    expect(error.reason).toBe('link-local');
    expect(error.isClientError).toBe(true);
    expect(error.message).toMatch(/allowLinkLocal/);
    expect(reg.services()).toEqual([]);
  });

  it('accepts them with allowLinkLocal: true', () => {
    const reg = registry({ allowLinkLocal: true });
    for (const baseUrl of METADATA_URLS) reg.register({ name: 'meta', baseUrl });
    expect(reg.instances('meta')).toHaveLength(METADATA_URLS.length);
  });

  it('accepts ordinary private, loopback and public hosts by default', () => {
    const reg = registry();
    for (const baseUrl of [
      'http://127.0.0.1:8001',
      'http://10.0.0.5',
      'http://[::1]:8001',
      'https://auth.internal.example',
      'http://169.255.0.1', // just past 169.254/16
      'http://metadata.example', // a name that only looks like one
    ]) {
      reg.register({ name: 'svc', baseUrl });
    }
    expect(reg.instances('svc')).toHaveLength(6);
  });

  it('refuses them in fromConfig and fromEnv before creating anything', () => {
    const fromConfig = refusal(() =>
      ServiceRegistry.fromConfig(
        { auth: 'http://127.0.0.1:8001', meta: 'http://169.254.169.254' },
        { health: false },
      ),
    );
    expect(fromConfig.host).toBe('169.254.169.254');
    const fromEnv = refusal(() =>
      ServiceRegistry.fromEnv(
        { SWITCHBOARD_SERVICE_AUTH_URL: 'http://127.0.0.1:8001,http://[fd00:ec2::254]' },
        { health: false },
      ),
    );
    expect(fromEnv.host).toBe('[fd00:ec2::254]');
  });
});

describe('ServiceRegistry: allowedHosts', () => {
  const allowedHosts = ['auth.internal.example', '*.svc.example', '10.0.0.5', '::1'];

  it.each([
    'http://auth.internal.example:8001/api/v1',
    'http://AUTH.Internal.Example./api',
    'https://product.svc.example',
    'https://a.b.svc.example',
    'http://10.0.0.5:9000',
    'http://[::1]:8001',
    'http://[0:0:0:0:0:0:0:1]:8001',
  ])('accepts %s', (baseUrl) => {
    expect(registry({ allowedHosts }).register({ name: 'svc', baseUrl }).baseUrl).toBeTruthy();
  });

  it.each([
    ['http://svc.example', 'svc.example'], // the wildcard's own domain is not under it
    ['http://evil-svc.example', 'evil-svc.example'],
    ['http://svc.example.evil.test', 'svc.example.evil.test'],
    ['http://auth.internal.example.evil.test', 'auth.internal.example.evil.test'],
    ['http://10.0.0.6', '10.0.0.6'],
    ['http://127.0.0.1', '127.0.0.1'],
  ])('refuses %s', (baseUrl, host) => {
    const error = refusal(() => registry({ allowedHosts }).register({ name: 'svc', baseUrl }));
    expect(error).toMatchObject({ reason: 'not-allowed', host });
    expect(error.message).toBe(`${host} is not in allowedHosts`);
  });

  it('does not lift the link-local refusal: that takes allowLinkLocal', () => {
    const listed = { allowedHosts: ['169.254.169.254'] };
    expect(
      refusal(() => registry(listed).register({ name: 'm', baseUrl: 'http://169.254.169.254' }))
        .reason,
    ).toBe('link-local');
    registry({ ...listed, allowLinkLocal: true }).register({
      name: 'm',
      baseUrl: 'http://169.254.169.254',
    });
  });

  it.each([
    [['auth.example:8001'], 'allowedHosts[0]'],
    [['http://auth.example'], 'allowedHosts[0]'],
    [['ok.example', 'a.example/path'], 'allowedHosts[1]'],
    [['*'], 'allowedHosts[0]'],
    [['a*.example'], 'allowedHosts[0]'],
    [['user@auth.example'], 'allowedHosts[0]'],
    [['[::1]:80'], 'allowedHosts[0]'],
    [[''], 'allowedHosts[0]'],
    [[42], 'allowedHosts[0]'],
    ['auth.example', 'allowedHosts'],
  ])('refuses the pattern list %j, naming %s', (patterns, option) => {
    const error = thrownBy(
      () => new ServiceRegistry({ allowedHosts: patterns as string[], health: false }),
    );
    expect(error).toMatchObject({ code: 'ERR_SWITCHBOARD_INVALID_OPTION', option });
  });

  it('refuses a non-boolean allowLinkLocal', () => {
    const error = thrownBy(
      () => new ServiceRegistry({ allowLinkLocal: 'yes' as unknown as boolean, health: false }),
    );
    expect(error).toBeInstanceOf(TypeError);
    expect(error).toMatchObject({ option: 'allowLinkLocal' });
  });
});

describe('ServiceRegistry: hosts announced by other processes', () => {
  const url = inject('redisUrl');
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  it('ignores, with a warning, a record whose host its own rules refuse', async () => {
    const prefix = `hosts:${randomUUID()}`;
    cleanups.push(async () => {
      const redis = new Redis(url);
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    });
    const warnings: string[] = [];
    const ignore = (): void => undefined;
    const logger: Logger = {
      debug: ignore,
      info: ignore,
      error: ignore,
      warn: (context) => warnings.push(String(context['error'])),
    };
    // Another process, or anyone who can write to that Redis, announces a metadata URL.
    const careless = new ServiceRegistry({
      store: redisRegistryStore(url, { prefix }),
      allowLinkLocal: true,
      health: false,
    });
    const careful = new ServiceRegistry({
      store: redisRegistryStore(url, { prefix }),
      allowedHosts: ['127.0.0.1'],
      health: false,
      logger,
    });
    cleanups.unshift(
      () => careless.close(),
      () => careful.close(),
    );
    careless.register({ name: 'auth', baseUrl: 'http://169.254.169.254', id: 'meta' });
    careless.register({ name: 'auth', baseUrl: 'http://10.9.9.9', id: 'outside' });
    careless.register({ name: 'auth', baseUrl: 'http://127.0.0.1:8001', id: 'fine' });
    await careless.flush();
    await waitFor(() => careful.instances('auth').length === 1, 5_000);
    await waitFor(() => warnings.length >= 2, 5_000);
    expect(careful.instances('auth').map((instance) => instance.id)).toEqual(['fine']);
    expect(careful.resolve('auth').baseUrl).toBe('http://127.0.0.1:8001');
    expect(warnings.join('\n')).toMatch(/169\.254\.169\.254 is a link-local/);
    expect(warnings.join('\n')).toMatch(/10\.9\.9\.9 is not in allowedHosts/);
  });
});
