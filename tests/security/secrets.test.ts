import { createServer } from 'node:net';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  AuthServiceClient,
  EventBus,
  EventSubscriber,
  ServiceClient,
  ServiceRegistry,
  UserEvents,
  redisRegistryStore,
  redisTransport,
  type Logger,
} from 'switchboard';
import { createTestService, startRedisServer, type RedisServer } from 'switchboard/testing';

// Canary secrets: none may appear in anything the library logs, throws or emits.
const TOKEN = 'CANARY-bearer-7f3a';
const API_KEY = 'CANARY-apikey-91b2';
const QUERY = 'CANARY-query-55c1';
const REDIS_PASSWORD = 'CANARY-redispw-0d4e';
const CANARIES = [TOKEN, API_KEY, QUERY, REDIS_PASSWORD];

/** Everything a scenario exposed: log lines, events, errors, health reports. */
class Exposure {
  readonly texts: string[] = [];
  readonly codes = new Set<string>();
  readonly logger: Logger;

  constructor() {
    const at =
      (level: string) =>
      (context: Record<string, unknown>, message?: string): void => {
        this.texts.push(`${level} ${message ?? ''} ${render(context)}`);
        // A logger like pino serialises `err` and `error` fields: every error in them too.
        for (const value of Object.values(context)) if (value instanceof Error) this.error(value);
      };
    this.logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  }

  /** An error and everything it leads to: message, stack, JSON, inspect, cause chain, attempts. */
  error(error: unknown, depth = 0): void {
    if (depth > 6 || typeof error !== 'object' || error === null) {
      this.texts.push(String(error));
      return;
    }
    const { code, cause, attempts, errors } = error as {
      code?: unknown;
      cause?: unknown;
      attempts?: unknown;
      errors?: unknown;
    };
    if (typeof code === 'string') this.codes.add(code);
    if (error instanceof Error) this.texts.push(error.message, error.stack ?? '', String(error));
    this.texts.push(render(error));
    try {
      const json = JSON.stringify(error) as string | undefined;
      if (json !== undefined) this.texts.push(json);
    } catch {
      // A cycle: inspect above shows everything anyway.
    }
    if (cause !== undefined) this.error(cause, depth + 1);
    for (const list of [attempts, errors]) {
      if (Array.isArray(list)) for (const item of list) this.error(item, depth + 1);
    }
  }

  /** Records a value handed to an event listener or returned by `health()`. */
  value(value: unknown): void {
    this.texts.push(render(value));
    if (typeof value === 'object' && value !== null) {
      for (const field of Object.values(value)) if (field instanceof Error) this.error(field);
    }
  }

  /** Settles `promise`, recording its error. */
  async settle(promise: Promise<unknown>): Promise<void> {
    await promise.then(
      (value) => {
        this.value(value);
      },
      (error: unknown) => {
        this.error(error);
      },
    );
  }

  expectNoCanary(): void {
    const found = this.texts.filter((text) => CANARIES.some((canary) => text.includes(canary)));
    expect(found).toEqual([]);
  }
}

function render(value: unknown): string {
  return inspect(value, { depth: 8, breakLength: Infinity, maxStringLength: Infinity });
}

async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('secrets never appear in logs, errors, events or health', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    // A Redis that wants a password: a wrong one is refused by the server itself.
    redis = await startRedisServer({ args: ['--requirepass', 'the-right-password'] });
  });
  afterAll(async () => {
    await redis.stop();
  });

  it('HTTP failures: bearer token, x-api-key header, token in the query string', async () => {
    const seen = new Exposure();
    const api = await createTestService('api');
    api
      .route('GET', '/fail', { status: 500, json: { error: 'boom' } })
      .route('GET', '/denied', { status: 401, json: { error: 'no' } })
      .route('GET', '/slow', 'hang')
      .route('GET', '/shape', { json: { id: 'not a number' } })
      .route('GET', '/users/:id', { status: 503, json: { error: 'down' } });
    const dead = await deadPort();
    const registry = new ServiceRegistry({ health: false, logger: seen.logger });
    registry.register({ name: 'api', baseUrl: api.url });
    registry.register({ name: 'gone', baseUrl: `http://127.0.0.1:${dead}` });
    registry.register({ name: 'auth', baseUrl: api.url });
    for (const name of ['registered', 'health-changed'] as const) {
      registry.on(name, (event) => {
        seen.value(event);
      });
    }
    const options = {
      registry,
      logger: seen.logger,
      headers: { 'x-api-key': API_KEY },
      timeoutMs: 200,
      retry: { retries: 1, baseDelayMs: 1, maxDelayMs: 2 },
    };
    const client = new ServiceClient('api', options);
    const gone = new ServiceClient('gone', options);
    const auth = new AuthServiceClient({ ...options, cache: false });
    for (const target of [client, gone, auth.client]) {
      for (const name of ['request', 'response', 'retry', 'error'] as const) {
        target.on(name, (event) => {
          seen.value(event);
        });
      }
    }
    try {
      const call = { token: TOKEN, searchParams: { api_key: QUERY } };
      await seen.settle(client.get(`/fail?token=${QUERY}`, call));
      await seen.settle(client.get(`/denied?token=${QUERY}`, call));
      await seen.settle(client.get(`/slow?access_token=${QUERY}`, { ...call, retry: false }));
      await seen.settle(
        client.get(`/shape?token=${QUERY}`, { ...call, schema: z.object({ id: z.number() }) }),
      );
      await seen.settle(client.get(`/fail`, { ...call, signal: AbortSignal.abort() }));
      await seen.settle(client.get(`http://127.0.0.1:1/x?token=${QUERY}`, call));
      await seen.settle(gone.get(`/x?token=${QUERY}`, call));
      await seen.settle(auth.getUserInfo(7, TOKEN));
      await seen.settle(auth.validatePermissions(7, 'read', TOKEN));
    } finally {
      await Promise.all([client.close(), gone.close(), auth.close(), registry.close()]);
      await api.close();
    }
    // The scenario did send the secrets, and did fail in every way it meant to.
    expect(api.requests[0]?.headers['authorization']).toBe(`Bearer ${TOKEN}`);
    expect(api.requests[0]?.headers['x-api-key']).toBe(API_KEY);
    expect(api.requests[0]?.url).toContain(QUERY);
    expect([...seen.codes].sort()).toEqual(
      expect.arrayContaining([
        'ABORTED',
        'HTTP_ERROR',
        'INVALID_URL',
        'NETWORK_ERROR',
        'RESPONSE_VALIDATION',
        'RETRY_EXHAUSTED',
        'TIMEOUT',
      ]),
    );
    seen.expectNoCanary();
  });

  it('Redis transport: a password in the URL, refused by Redis or with Redis gone', async () => {
    const seen = new Exposure();
    const dead = await deadPort();
    for (const url of [
      `redis://default:${REDIS_PASSWORD}@127.0.0.1:${redis.port}`,
      `redis://default:${REDIS_PASSWORD}@127.0.0.1:${dead}`,
    ]) {
      const bus = new EventBus({
        source: 'canary',
        logger: seen.logger,
        transport: redisTransport({
          url,
          prefix: 'canary',
          commandTimeoutMs: 300,
          blockMs: 100,
          logger: seen.logger,
        }),
      });
      bus.on('dead-lettered', (event) => {
        seen.value(event);
      });
      const subscriber = new EventSubscriber(bus, { group: 'canary', logger: seen.logger });
      subscriber.on(UserEvents.login, () => undefined);
      try {
        await seen.settle(
          bus.publish(UserEvents.login.create({ userId: 1, email: 'ada@example.com' })),
        );
        await seen.settle(subscriber.start());
        await seen.settle(bus.deadLetters.list({ group: 'canary' }));
        await seen.settle(bus.health());
        seen.value(subscriber.health());
      } finally {
        await subscriber.stop({ drain: false });
        await bus.close();
      }
    }
    expect(seen.texts.join('\n')).toMatch(/WRONGPASS/);
    expect(seen.codes).toContain('TIMEOUT');
    seen.expectNoCanary();
  });

  it('Registry store: a password in the URL, refused by Redis', async () => {
    const seen = new Exposure();
    const registry = new ServiceRegistry({
      health: false,
      logger: seen.logger,
      store: redisRegistryStore(`redis://default:${REDIS_PASSWORD}@127.0.0.1:${redis.port}`, {
        prefix: 'canary',
        ttlMs: 500,
        logger: seen.logger,
      }),
    });
    for (const name of ['announce-failed', 'withdraw-failed'] as const) {
      registry.on(name, (event) => {
        seen.value(event);
      });
    }
    try {
      const instance = registry.register({ name: 'auth', baseUrl: 'http://127.0.0.1:8001' });
      await registry.flush();
      registry.deregister(instance.id);
      await registry.flush();
      // Let the watcher's reads fail and log too.
      await new Promise((resolve) => setTimeout(resolve, 600));
    } finally {
      await registry.close();
    }
    expect(seen.codes).toContain('REGISTRY_STORE');
    expect(seen.texts.join('\n')).toMatch(/WRONGPASS/);
    seen.expectNoCanary();
  });
});
