import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { isSwitchboardError, redisTransport, type EventTransport, type Logger } from 'switchboard';
import { startRedisServer, type RedisServer } from 'switchboard/testing';
import { orderSpec } from './helpers.js';

// A Redis that may evict keys under memory pressure: an evicted stream would
// take unread and pending events with it, so durable subscriptions say so.

let server: RedisServer;
const transports: EventTransport[] = [];

beforeAll(async () => {
  server = await startRedisServer({
    args: ['--maxmemory', '64mb', '--maxmemory-policy', 'allkeys-lru'],
  });
  // A least-privilege user that may not run CONFIG, as on managed Redis.
  const admin = new Redis(server.url);
  await admin.call('ACL', ['SETUSER', 'app', 'on', '>app-secret', '~*', '&*', '+@all', '-@admin']);
  admin.disconnect();
});

afterAll(async () => {
  await Promise.all(transports.splice(0).map((transport) => transport.close()));
  await server.stop();
});

type Warning = { readonly context: Record<string, unknown>; readonly message: string | undefined };

function capture(): { readonly logger: Logger; readonly warnings: Warning[] } {
  const warnings: Warning[] = [];
  const ignore = (): void => undefined;
  const logger: Logger = {
    debug: ignore,
    info: ignore,
    error: ignore,
    warn: (context, message) => {
      warnings.push({ context, message });
    },
  };
  return { logger, warnings };
}

function open(
  options: Omit<Parameters<typeof redisTransport>[0], 'url'> & { url?: string },
): EventTransport {
  const transport = redisTransport({
    url: server.url,
    prefix: `evict-${randomUUID()}`,
    ...options,
  });
  transports.push(transport);
  return transport;
}

const handler = (): Promise<void> => Promise.resolve();

describe('redisTransport: a Redis that may evict keys', () => {
  it('warns once, naming the policy, and subscribes anyway (the default)', async () => {
    const { logger, warnings } = capture();
    const transport = open({ logger });
    await transport.subscribe(orderSpec(), handler);
    await transport.subscribe(orderSpec({ group: 'other' }), handler);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.context).toEqual({ policy: 'allkeys-lru' });
    expect(warnings[0]?.message).toMatch(/maxmemory-policy is "allkeys-lru".*noeviction/);
  });

  it("refuses a durable subscription with evictionPolicy: 'refuse', with a typed error", async () => {
    const transport = open({ evictionPolicy: 'refuse' });
    const error: unknown = await transport.subscribe(orderSpec(), handler).catch((e: unknown) => e);
    expect(isSwitchboardError(error, 'TRANSPORT')).toBe(true);
    expect(String(error)).toMatch(/allkeys-lru/);
    // Broadcast subscribers hold no pending state: nothing to refuse.
    await expect(
      transport.subscribe(orderSpec({ mode: 'broadcast' }), handler),
    ).resolves.toBeDefined();
  });

  it('checks again after a refusal, so a Redis fixed meanwhile is accepted', async () => {
    const transport = open({ evictionPolicy: 'refuse' });
    await expect(transport.subscribe(orderSpec(), handler)).rejects.toThrow(/allkeys-lru/);
    const admin = new Redis(server.url);
    try {
      await admin.config('SET', 'maxmemory-policy', 'noeviction');
      await expect(transport.subscribe(orderSpec(), handler)).resolves.toBeDefined();
    } finally {
      await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
      admin.disconnect();
    }
  });

  it('only warns that it could not check when CONFIG is forbidden, even in refuse mode', async () => {
    const { logger, warnings } = capture();
    const { port } = new URL(server.url);
    const transport = open({
      url: `redis://app:app-secret@127.0.0.1:${port}`,
      evictionPolicy: 'refuse',
      logger,
    });
    await expect(transport.subscribe(orderSpec(), handler)).resolves.toBeDefined();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.message).toMatch(/could not read Redis maxmemory-policy/);
    expect(String(warnings[0]?.context['error'])).toMatch(/NOPERM/);
  });

  it("says nothing with evictionPolicy: 'ignore'", async () => {
    const { logger, warnings } = capture();
    await open({ evictionPolicy: 'ignore', logger }).subscribe(orderSpec(), handler);
    expect(warnings).toEqual([]);
  });

  it('rejects an unknown evictionPolicy with a typed error', () => {
    expect(() =>
      redisTransport({ url: server.url, evictionPolicy: 'sometimes' as 'warn' }),
    ).toThrow(TypeError);
  });
});

describe('redisTransport: a Redis that never evicts', () => {
  it('says nothing', async () => {
    const { logger, warnings } = capture();
    const transport = redisTransport({
      url: inject('redisUrl'),
      prefix: `evict-${randomUUID()}`,
      logger,
    });
    transports.push(transport);
    await transport.subscribe(orderSpec(), handler);
    expect(warnings).toEqual([]);
  });
});
