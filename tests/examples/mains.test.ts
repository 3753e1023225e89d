import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { describe, expect, inject, it } from 'vitest';
import { deleteKeys } from '../e2e/stack.js';
import { exitOf, runScript } from './process.js';

// Each service's main.ts: configuration from the environment, graceful shutdown on SIGTERM.
describe.each([
  ['auth-service', 'examples/auth-service/main.ts'],
  ['notifications-service', 'examples/notifications-service/main.ts'],
  ['product-service', 'examples/product-service/main.ts'],
])('%s main.ts', (name, script) => {
  it('listens on PORT, answers /health, and exits 0 on SIGTERM', async () => {
    const service = runScript(script, [], {
      PORT: '0',
      SWITCHBOARD_SERVICE_AUTH_URL: 'http://127.0.0.1:9/api/v1',
    });
    const [, url] = await service.waitFor(/"msg":"[\w-]+ listening","url":"(http:\/\/[^"]+)"/);
    const health = await fetch(`${url}/health`);
    expect(health.status).toBe(200);
    service.process.kill('SIGTERM');
    expect(await exitOf(service, 15_000)).toBe(0);
    expect(service.output()).toContain(`"msg":"${name} stopped"`);
  }, 45_000);
});

describe('notifications-service main.ts with REDIS_URL', () => {
  it('subscribes over Redis Streams as the consumer SWITCHBOARD_CONSUMER names, and drains on SIGTERM', async () => {
    const prefix = `mains-${randomUUID()}`;
    const service = runScript('examples/notifications-service/main.ts', [], {
      PORT: '0',
      REDIS_URL: inject('redisUrl'),
      SWITCHBOARD_PREFIX: prefix,
      SWITCHBOARD_CONSUMER: 'notifications-test-1',
      SWITCHBOARD_SERVICE_AUTH_URL: 'http://127.0.0.1:9/api/v1',
    });
    const [, url] = await service.waitFor(
      /"msg":"notifications-service listening","url":"(http:\/\/[^"]+)"/,
    );
    expect(service.output()).toMatch(
      /"msg":"subscribed","transport":"redis","group":"notifications","consumer":"notifications-test-1"/,
    );
    const ready = await fetch(`${url}/ready`);
    const body = (await ready.json()) as { checks: { events: { ok: boolean; detail: string } } };
    expect(body.checks.events).toEqual({ ok: true, detail: 'redis transport connected' });
    service.process.kill('SIGTERM');
    expect(await exitOf(service, 15_000)).toBe(0);
    expect(service.output()).toContain('"msg":"notifications-service stopped"');
    const redis = new Redis(inject('redisUrl'));
    try {
      await deleteKeys(redis, prefix);
    } finally {
      redis.disconnect();
    }
  }, 45_000);
});
