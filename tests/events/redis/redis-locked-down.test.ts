import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EventBus,
  EventSubscriber,
  ServiceRegistry,
  UserEvents,
  redisRegistryStore,
  redisTransport,
  type Logger,
} from 'switchboard';
import { startRedisServer, type RedisServer } from 'switchboard/testing';
import { waitFor } from './helpers.js';

// Production Redis is often reached over TLS, as a user that may run only
// what the SDK needs on its own keys. The events happy path (publish, a
// durable group with dedupe, acknowledgement, a dead letter and its redrive,
// a poison message) and discovery through the registry store run here on
// such a Redis: `rediss://` with a throwaway CA, and a least-privilege ACL
// user. Redis's ACL LOG then proves that the SDK never needed more.

const PREFIX = 'shop';
const PASSWORD = 'app-secret';

/** The commands the SDK runs, and nothing else; the README quotes this list. */
const SDK_COMMANDS = [
  // events: publish, consumer groups, leases, dead letters, lag, dedupe
  'xadd', 'xreadgroup', 'xread', 'xack', 'xclaim', 'xautoclaim', 'xpending', 'xrange',
  'xdel', 'xgroup|create', 'xgroup|delconsumer', 'xinfo|groups', 'xinfo|stream',
  'xinfo|consumers', 'multi', 'exec', 'eval', 'set', 'get', 'del', 'sadd', 'smembers', 'hget', 'hset',
  'hdel', 'client|id', 'client|unblock',
  // the registry store's scripts and change notifications
  'zadd', 'zrem', 'zscore', 'zrangebyscore', 'time', 'publish', 'subscribe',
  // ioredis's ready check (it waits while Redis loads its data after a restart)
  'info',
]; // prettier-ignore

/** `ACL SETUSER app …` in rules: keys and channels under the prefix only, the commands above. */
const APP_RULES = [
  'on', `>${PASSWORD}`, 'resetkeys', `~${PREFIX}:*`, 'resetchannels', `&${PREFIX}:*`, '-@all',
  ...SDK_COMMANDS.map((command) => `+${command}`),
]; // prettier-ignore

let server: RedisServer;
let admin: Redis;

/** ioredis options for the TLS server, as `user` (the default user when absent). */
type User = { readonly username: string; readonly password: string };

function connection(user?: User): {
  host: string;
  port: number;
  tls: { ca: string };
  username?: string;
  password?: string;
} {
  const { hostname, port } = new URL(server.url);
  return { host: hostname, port: Number(port), tls: { ca: server.tls?.ca ?? '' }, ...user };
}

beforeAll(async () => {
  server = await startRedisServer({ tls: true, aclUsers: [{ name: 'app', rules: APP_RULES }] });
  admin = new Redis(connection());
});

afterAll(async () => {
  admin.disconnect();
  await server.stop();
});

function recordingLogger(): { logger: Logger; warnings: string[] } {
  const warnings: string[] = [];
  const ignore = (): void => undefined;
  return {
    logger: {
      debug: ignore,
      info: ignore,
      error: (context, message) => warnings.push(`${message ?? ''} ${JSON.stringify(context)}`),
      warn: (context, message) => warnings.push(`${message ?? ''} ${JSON.stringify(context)}`),
    },
    warnings,
  };
}

/** Commands Redis ran since the last `CONFIG RESETSTAT` (`xgroup|create`, …), scripts' included. */
async function commandsRun(): Promise<string[]> {
  const stats = String(await admin.call('INFO', ['commandstats']));
  return [...stats.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)].map((match) => match[1] ?? '');
}

/** Commands the SDK ran as `app`, over both scenarios: every one it is granted must be used. */
const ranAsApp = new Set<string>();

/** What Redis refused `app` since the last reset: `<command> on <key or channel>`. */
async function deniedToApp(): Promise<string[]> {
  const entries = (await admin.call('ACL', ['LOG'])) as unknown[];
  return entries
    .map((entry) => {
      const list = (
        Array.isArray(entry) ? entry : Object.entries(entry as object).flat()
      ) as unknown[];
      const field = (name: string): string => String(list[list.indexOf(name) + 1]);
      return { user: field('username'), text: `${field('reason')}: ${field('object')}` };
    })
    .filter(({ user }) => user === 'app')
    .map(({ text }) => text);
}

describe.each([
  ['over TLS', undefined],
  ['over TLS as a least-privilege ACL user', { username: 'app', password: PASSWORD }],
])('Redis %s', (_name, user) => {
  it('runs the events happy path: publish, group, ack, dedupe, dead letter, redrive, poison, broadcast', async () => {
    await admin.call('ACL', ['LOG', 'RESET']);
    await admin.call('CONFIG', ['RESETSTAT']);
    const prefix = `${PREFIX}:${randomUUID()}`;
    const { logger, warnings } = recordingLogger();
    const bus = new EventBus({
      source: 'auth-service',
      transport: redisTransport({ redis: connection(user), prefix, blockMs: 200, logger }),
      logger,
    });
    const mailer = new EventSubscriber(bus, {
      group: 'mailer',
      start: 'earliest',
      maxDeliveries: 2,
      claimIdleMs: 400,
      retryBaseDelayMs: 5,
      retryMaxDelayMs: 20,
      dedupe: { ttlMs: 60_000 },
    });
    const welcomed: number[] = [];
    let loginsFail = true;
    const logins: number[] = [];
    mailer.on(UserEvents.created, (event) => {
      welcomed.push(event.data.userId);
    });
    mailer.on(UserEvents.login, (event) => {
      if (loginsFail) throw new Error('mail server down');
      logins.push(event.data.userId);
    });
    const audit = new EventSubscriber(bus, { group: 'audit', mode: 'broadcast' });
    const audited: string[] = [];
    audit.on(UserEvents.created, (event) => {
      audited.push(event.type);
    });
    try {
      await mailer.start();
      await audit.start();
      const created = UserEvents.created.create({
        userId: 7,
        email: 'ada@example.com',
        username: 'ada',
      });
      await bus.publish(created);
      await bus.publish(created); // a duplicate: dedupe runs the handler once
      await bus.publish(UserEvents.login.create({ userId: 7, email: 'ada@example.com' }));
      await bus.transport.publish('user', '{"not": "an event"');
      await waitFor(
        async () => (await bus.deadLetters.list({ group: 'mailer' })).length === 2,
        10_000,
        'a failed and a poison event in the dead letters',
      );
      const letters = await bus.deadLetters.list({ group: 'mailer' });
      expect(letters.map((letter) => letter.reason).sort()).toEqual([
        'malformed-json',
        'max-deliveries',
      ]);
      expect(welcomed).toEqual([7]);

      loginsFail = false;
      const failed = letters.find((letter) => letter.reason === 'max-deliveries');
      expect(await bus.deadLetters.redrive(failed?.id ?? '')).toBe(1);
      await waitFor(() => logins.length === 1, 10_000, 'the redriven login');
      expect(await bus.deadLetters.delete(letters.find((l) => l.id !== failed?.id)?.id ?? '')).toBe(
        true,
      );
      expect(await bus.deadLetters.list({ group: 'mailer' })).toEqual([]);
      await waitFor(() => mailer.health().pending === 0, 5_000, 'nothing pending');
      expect(mailer.health()).toMatchObject({ running: true, duplicates: 1 });
      expect(audited).toContain(UserEvents.created.type);
      // Every tenth housekeeping round (each claimIdleMs / 2) retires silent consumers.
      await waitFor(
        async () => (await commandsRun()).includes('xinfo|consumers'),
        15_000,
        'a round that looks for silent consumers',
      );
    } finally {
      await audit.stop();
      await mailer.stop();
      await bus.close();
    }
    if (user !== undefined) for (const command of await commandsRun()) ranAsApp.add(command);
    // The poison message is the one warning every run has.
    const unexpected = warnings.filter((line) => !line.startsWith('event dead-lettered: poison'));
    const streamKey = `${prefix}:events:{user}`;
    expect(await admin.xpending(streamKey, 'mailer')).toEqual([0, null, null, null]);
    if (user === undefined) {
      expect(unexpected).toEqual([]);
    } else {
      // CONFIG is not granted: the eviction check says it could not look, and that is all.
      expect(await deniedToApp()).toEqual(['command: config|get']);
      expect(unexpected).toEqual([expect.stringMatching(/could not read Redis maxmemory-policy/)]);
    }
    const leftovers = await admin.keys(`${prefix}:*`);
    if (leftovers.length > 0) await admin.del(...leftovers);
  });

  it('shares instances through the registry store', async () => {
    await admin.call('ACL', ['LOG', 'RESET']);
    await admin.call('CONFIG', ['RESETSTAT']);
    const prefix = `${PREFIX}:${randomUUID()}`;
    const open = (): ServiceRegistry =>
      new ServiceRegistry({
        health: false,
        store: redisRegistryStore(connection(user), { prefix, ttlMs: 2_000 }),
      });
    const product = open();
    const gateway = open();
    try {
      const instance = product.register({ name: 'product', baseUrl: 'http://127.0.0.1:8003' });
      await product.flush();
      await waitFor(() => gateway.instances('product').length === 1, 5_000, 'the announcement');
      product.deregister(instance.id);
      await product.flush();
      await waitFor(() => gateway.instances('product').length === 0, 5_000, 'the withdrawal');
    } finally {
      await product.close();
      await gateway.close();
    }
    if (user === undefined) return;
    expect(await deniedToApp()).toEqual([]);
    for (const command of await commandsRun()) ranAsApp.add(command);
    // Granted and used: the list is what the SDK needs, no more (the admin's own
    // ACL, CONFIG and INFO calls are counted too, hence the filter).
    const used = SDK_COMMANDS.filter((command) => ranAsApp.has(command));
    expect(used).toEqual(SDK_COMMANDS);
  });
});

describe('a least-privilege ACL user', () => {
  it('is documented in the README exactly as tested', async () => {
    const readme = await readFile(new URL('../../../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(`ACL SETUSER app ${APP_RULES.join(' ')}\n`);
  });

  it('cannot touch keys outside its prefix', async () => {
    const app = new Redis(connection({ username: 'app', password: PASSWORD }));
    try {
      await expect(app.call('SET', ['other:key', 'x'])).rejects.toThrow(/NOPERM/);
      await expect(app.call('FLUSHALL', [])).rejects.toThrow(/NOPERM/);
      await expect(app.call('KEYS', [`${PREFIX}:*`])).rejects.toThrow(/NOPERM/);
    } finally {
      app.disconnect();
    }
  });
});
