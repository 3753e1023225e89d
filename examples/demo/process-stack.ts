import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { freePorts } from 'switchboard/testing';
import { once } from '../shared/listen.js';
import type { DemoRedis } from './demo-redis.js';
import type { BreakerEvent, DemoStack } from './demo-stack.js';
import { ServiceProcess, type LogEntry } from './service-process.js';
import { DEMO_BREAKER, port } from './stack.js';

export type ProcessStackOptions = {
  readonly redis: Pick<DemoRedis, 'url' | 'prefix' | 'label' | 'client'>;
  /** Ports are base+1 (auth), base+2 (notifications), base+3 (product); 0: free ports. */
  readonly portBase: number;
};

/** The notifications service's group and its stable consumer name. */
export const NOTIFICATIONS_GROUP = 'notifications';
export const NOTIFICATIONS_CONSUMER = 'notifications-1';
const HOST = '127.0.0.1';

/**
 * Starts the three services' `main.ts` as separate processes over Redis
 * Streams, configured from the environment only, as they would be deployed:
 * the auth service's address by `SWITCHBOARD_SERVICE_AUTH_URL`, events under
 * one `SWITCHBOARD_PREFIX`, the notifications service as consumer
 * `notifications-1` of its group, the auth service's users and key in an
 * `AUTH_STATE_FILE` (its database, for the demo), breakers as quick as the
 * in-process demo's and background health checks off, so the breaker alone
 * shows the outage.
 */
export async function startProcessStack(options: ProcessStackOptions): Promise<DemoStack> {
  const { redis } = options;
  const [authPort = 0, notificationsPort = 0, productPort = 0] =
    options.portBase === 0
      ? await freePorts(3)
      : [port(options.portBase, 1), port(options.portBase, 2), port(options.portBase, 3)];
  const authUrl = `http://${HOST}:${authPort}`;
  const authApi = `${authUrl}/api/v1`;
  const admin = { email: 'admin@example.com', password: randomBytes(9).toString('base64url') };
  const clientSecret = randomBytes(18).toString('base64url');
  const dir = await mkdtemp(join(tmpdir(), 'switchboard-demo-'));
  const common = {
    HOST,
    REDIS_URL: redis.url,
    SWITCHBOARD_PREFIX: redis.prefix,
    SWITCHBOARD_SERVICE_AUTH_URL: authApi,
    SWITCHBOARD_BREAKER_FAILURE_THRESHOLD: String(DEMO_BREAKER.failureThreshold),
    SWITCHBOARD_BREAKER_RESET_TIMEOUT_MS: String(DEMO_BREAKER.resetTimeoutMs),
    SWITCHBOARD_HEALTH_INTERVAL_MS: '0',
  };
  const breakerListeners: ((event: BreakerEvent) => void)[] = [];
  const auth = new ServiceProcess({
    name: 'auth-service',
    script: 'examples/auth-service/main.ts',
    env: {
      ...common,
      PORT: String(authPort),
      AUTH_ADMIN_EMAIL: admin.email,
      AUTH_ADMIN_PASSWORD: admin.password,
      AUTH_CLIENTS: `notifications-service:${clientSecret}`,
      AUTH_STATE_FILE: join(dir, 'auth-state.json'),
    },
  });
  const notifications = new ServiceProcess({
    name: 'notifications-service',
    script: 'examples/notifications-service/main.ts',
    env: {
      ...common,
      PORT: String(notificationsPort),
      NOTIFICATIONS_CLIENT_SECRET: clientSecret,
      SWITCHBOARD_GROUP: NOTIFICATIONS_GROUP,
      SWITCHBOARD_CONSUMER: NOTIFICATIONS_CONSUMER,
    },
  });
  const product = new ServiceProcess({
    name: 'product-service',
    script: 'examples/product-service/main.ts',
    env: { ...common, PORT: String(productPort), PRODUCT_USER_CACHE_TTL_MS: '0' },
    onLog: (entry) => {
      const event = breakerEvent(entry);
      if (event !== undefined) for (const listener of breakerListeners) listener(event);
    },
  });
  const services = [auth, notifications, product];

  const close = once(async () => {
    await Promise.all(services.map((service) => service.stop()));
    await rm(dir, { recursive: true, force: true });
  });
  try {
    // In parallel: none needs another to start, and tsx takes a few seconds each.
    await Promise.all(services.map((service) => service.start()));
  } catch (error) {
    await Promise.all(services.map((service) => service.kill()));
    await close();
    throw error;
  }

  return {
    title: 'three services as separate processes, events over Redis Streams',
    details: [
      `redis          ${redis.url}   (${redis.label})`,
      `processes      ${services.map((s) => `${s.name} pid ${String(s.pid)}`).join(', ')}`,
    ],
    urls: { auth: authUrl, authApi, notifications: notifications.url, product: product.url },
    admin,
    breaker: DEMO_BREAKER,
    onAuthBreaker(listener) {
      breakerListeners.push(listener);
    },
    async stopAuth() {
      const pid = auth.pid;
      await auth.kill('SIGKILL');
      return `auth killed (SIGKILL, pid ${String(pid)}); product still calls ${authApi}`;
    },
    async restartAuth() {
      await auth.start();
      return `auth restarted (pid ${String(auth.pid)}) on ${auth.url}: users and signing key read back from its AUTH_STATE_FILE`;
    },
    crash: {
      async killNotifications() {
        // Every event it got is acknowledged first, so what it misses is only what comes next.
        await noPending(redis.client, redis.prefix);
        const pid = notifications.pid;
        await notifications.kill('SIGKILL');
        return `notifications killed (SIGKILL, pid ${String(pid)}); every event it had received was acknowledged`;
      },
      async restartNotifications() {
        await notifications.start();
        return `notifications restarted (pid ${String(notifications.pid)}) as consumer ${NOTIFICATIONS_CONSUMER} of group ${NOTIFICATIONS_GROUP}`;
      },
    },
    close,
  };
}

function breakerEvent(entry: LogEntry): BreakerEvent | undefined {
  const name = entry['breaker'];
  if (typeof name !== 'string' || !name.startsWith('auth@')) return undefined;
  switch (entry.msg) {
    case 'breaker opened': {
      const retryAfterMs = entry['retryAfterMs'];
      return {
        kind: 'open',
        breaker: name,
        retryAfterMs: typeof retryAfterMs === 'number' ? retryAfterMs : DEMO_BREAKER.resetTimeoutMs,
      };
    }
    case 'breaker half-open':
      return { kind: 'half-open', breaker: name };
    case 'breaker closed':
      return { kind: 'close', breaker: name };
    default:
      return undefined;
  }
}

/** The notifications group's pending entries, on every topic it reads (`<prefix>:events:{<topic>}`). */
export async function pendingOf(client: Redis, prefix: string, group: string): Promise<number> {
  let pending = 0;
  for (const topic of ['user', 'product']) {
    try {
      const [count] = (await client.xpending(`${prefix}:events:{${topic}}`, group)) as [number];
      pending += count;
    } catch (error) {
      // No stream or no group yet: nothing pending there.
      if (!/NOGROUP|no such key/i.test(String(error))) throw error;
    }
  }
  return pending;
}

async function noPending(client: Redis, prefix: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while ((await pendingOf(client, prefix, NOTIFICATIONS_GROUP)) > 0) {
    if (Date.now() > deadline) throw new Error('the notifications group still has pending events');
    await sleep(20);
  }
}
