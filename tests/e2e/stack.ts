import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { freePorts } from 'switchboard/testing';
import { pendingOf } from '../../examples/demo/process-stack.js';
import { ServiceProcess, type LogEntry } from '../../examples/demo/service-process.js';

/** The breakers of the services under test: quick, so the outage and the recovery take seconds. */
export const BREAKER = { failureThreshold: 3, resetTimeoutMs: 2_000 } as const;
export const GROUP = 'notifications';
export const ADMIN = { email: 'admin@example.com', password: randomBytes(9).toString('base64url') };

/** The services' `main.ts`, each a process of its own, and what the test needs to look at them. */
export type Services = {
  readonly prefix: string;
  readonly redis: Redis;
  readonly auth: ServiceProcess;
  /** Two consumers of the notifications group. */
  readonly notifications: readonly [ServiceProcess, ServiceProcess];
  readonly product: ServiceProcess;
  readonly authApi: string;
  /** What each process logged, by service name. */
  logs(name: string): readonly LogEntry[];
  /** Every stream entry under the prefix: the events published so far. */
  published(): Promise<number>;
  /** Pending entries of the notifications group. */
  pending(): Promise<number>;
  /** SIGKILLs every process by PID, waits for them, deletes the prefix's keys. Idempotent. */
  close(): Promise<void>;
};

/**
 * Starts auth, two notifications consumers and product as separate processes
 * on free loopback ports, over the test Redis under a prefix of their own,
 * configured from the environment only.
 */
export async function startServices(redisUrl: string): Promise<Services> {
  const prefix = `e2e-${randomUUID()}`;
  const dir = await mkdtemp(join(tmpdir(), 'switchboard-e2e-'));
  const [authPort = 0, notifyA = 0, notifyB = 0, productPort = 0] = await freePorts(4);
  const authApi = `http://127.0.0.1:${authPort}/api/v1`;
  const secret = randomBytes(18).toString('base64url');
  const logs = new Map<string, LogEntry[]>();
  const common = {
    HOST: '127.0.0.1',
    REDIS_URL: redisUrl,
    SWITCHBOARD_PREFIX: prefix,
    SWITCHBOARD_SERVICE_AUTH_URL: authApi,
    SWITCHBOARD_BREAKER_FAILURE_THRESHOLD: String(BREAKER.failureThreshold),
    SWITCHBOARD_BREAKER_RESET_TIMEOUT_MS: String(BREAKER.resetTimeoutMs),
    SWITCHBOARD_HEALTH_INTERVAL_MS: '0',
  };
  const service = (key: string, name: string, env: Record<string, string>): ServiceProcess => {
    const entries: LogEntry[] = [];
    logs.set(key, entries);
    return new ServiceProcess({
      name,
      script: `examples/${name}/main.ts`,
      env: { ...common, ...env },
      onLog: (entry) => entries.push(entry),
    });
  };
  const notifier = (consumer: string, port: number): ServiceProcess =>
    service(consumer, 'notifications-service', {
      PORT: String(port),
      NOTIFICATIONS_CLIENT_SECRET: secret,
      SWITCHBOARD_GROUP: GROUP,
      SWITCHBOARD_CONSUMER: consumer,
    });
  const auth = service('auth', 'auth-service', {
    PORT: String(authPort),
    AUTH_ADMIN_EMAIL: ADMIN.email,
    AUTH_ADMIN_PASSWORD: ADMIN.password,
    AUTH_CLIENTS: `notifications-service:${secret}`,
    AUTH_STATE_FILE: join(dir, 'auth-state.json'),
  });
  const notifications = [
    notifier('notifications-a', notifyA),
    notifier('notifications-b', notifyB),
  ] as const;
  const product = service('product', 'product-service', {
    PORT: String(productPort),
    PRODUCT_USER_CACHE_TTL_MS: '0',
  });
  const all = [auth, ...notifications, product];
  const redis = new Redis(redisUrl);
  redis.on('error', () => undefined);

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      for (const child of all) {
        const pid = child.pid;
        try {
          if (pid !== undefined && pid > 0) process.kill(pid, 'SIGKILL');
        } catch {
          // Gone between the two lines.
        }
      }
      await Promise.all(all.map((child) => child.kill()));
      await deleteKeys(redis, prefix);
      redis.disconnect();
      await rm(dir, { recursive: true, force: true });
    })());

  try {
    await Promise.all(all.map((child) => child.start()));
  } catch (error) {
    await close();
    throw error;
  }
  const streams = [`${prefix}:events:{user}`, `${prefix}:events:{product}`];
  return {
    prefix,
    redis,
    auth,
    notifications,
    product,
    authApi,
    logs: (name) => logs.get(name) ?? [],
    published: async () =>
      (await Promise.all(streams.map((key) => redis.xlen(key)))).reduce((a, b) => a + b, 0),
    pending: () => pendingOf(redis, prefix, GROUP),
    close,
  };
}

/** Polls `check` until it returns a value; throws `what` after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(25);
  }
}

/** SIGKILLs the service's process by its PID (as a crash would) and waits for it to be gone. */
export async function killByPid(service: ServiceProcess): Promise<number> {
  const { pid } = service;
  if (pid === undefined || pid <= 0) throw new Error(`${service.name} is not running`);
  process.kill(pid, 'SIGKILL');
  await service.kill();
  return pid;
}

/** Whether a process with this id exists. */
export function alive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) throw new RangeError(`not a process id: ${pid}`);
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
    if (keys.length > 0) await redis.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
}
