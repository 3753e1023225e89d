import { Redis } from 'ioredis';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { existsSync } from 'node:fs';
import { isSwitchboardError } from 'switchboard';
import { startRedisServer, type RedisServer } from 'switchboard/testing';

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function roundTrip(url: string, key: string, value?: string): Promise<string | null> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    if (value !== undefined) await client.set(key, value);
    return await client.get(key);
  } finally {
    client.disconnect();
  }
}

describe('the shared test Redis', () => {
  it('answers at the URL the global setup provides', async () => {
    const url = inject('redisUrl');
    expect(url).toMatch(/^redis:\/\//);
    const key = `test:${crypto.randomUUID()}`;
    expect(await roundTrip(url, key, 'ok')).toBe('ok');
    const client = new Redis(url);
    await client.del(key);
    client.disconnect();
  });
});

describe('startRedisServer', () => {
  let server: RedisServer | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  it('runs a private redis-server on loopback and removes every trace on stop', async () => {
    server = await startRedisServer();
    expect(server.url).toBe(`redis://127.0.0.1:${server.port}`);
    expect(await roundTrip(server.url, 'k', 'v')).toBe('v');
    const { pid, dir } = server;
    expect(isRunning(pid)).toBe(true);
    await server.stop();
    await server.stop(); // idempotent
    expect(isRunning(pid)).toBe(false);
    expect(existsSync(dir)).toBe(false);
  });

  it('keeps data across a crash and restart when appendOnly is on', async () => {
    server = await startRedisServer({ appendOnly: true, args: ['--appendfsync', 'always'] });
    await roundTrip(server.url, 'durable', 'yes');
    const before = server.pid;
    await server.restart();
    expect(server.pid).not.toBe(before);
    expect(isRunning(before)).toBe(false);
    expect(await roundTrip(server.url, 'durable')).toBe('yes');
  });

  it('loses data across a restart without persistence (the default)', async () => {
    server = await startRedisServer();
    await roundTrip(server.url, 'volatile', 'yes');
    await server.restart();
    expect(await roundTrip(server.url, 'volatile')).toBeNull();
  });

  it('fails with a typed error that says how to install Redis when the binary is missing', async () => {
    const error: unknown = await startRedisServer({
      binary: 'redis-server-that-does-not-exist',
    }).catch((e: unknown) => e);
    expect(isSwitchboardError(error)).toBe(true);
    expect((error as Error).message).toMatch(/apt-get install -y redis-server/);
  });

  it('serves TLS only with tls: true, trusted through the CA it made, across a restart', async () => {
    server = await startRedisServer({ tls: true });
    expect(server.url).toBe(`rediss://127.0.0.1:${server.port}`);
    const ca = server.tls?.ca ?? '';
    expect(ca).toMatch(/^-----BEGIN CERTIFICATE-----/);
    const over = (tls: { ca?: string } | undefined): Redis => {
      const client = new Redis({
        port: server?.port ?? 0,
        host: '127.0.0.1',
        ...(tls === undefined ? {} : { tls }),
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
        connectTimeout: 2_000,
      });
      client.on('error', () => undefined);
      return client;
    };
    const trusted = over({ ca });
    expect(await trusted.call('PING', [])).toBe('PONG');
    trusted.disconnect();
    // An unknown CA is refused, and so is plain TCP: there is no plain port.
    const untrusted = over({});
    await expect(untrusted.call('PING', [])).rejects.toThrow();
    untrusted.disconnect();
    const plain = over(undefined);
    await expect(plain.call('PING', [])).rejects.toThrow();
    plain.disconnect();
    await server.restart();
    const again = over({ ca });
    expect(await again.call('PING', [])).toBe('PONG');
    again.disconnect();
  });

  it('creates the ACL users it is given, and refuses rules that would smuggle in more', async () => {
    server = await startRedisServer({
      aclUsers: [{ name: 'reader', rules: ['on', '>pw', '~app:*', '-@all', '+get'] }],
    });
    const { port } = server;
    const reader = new Redis(`redis://reader:pw@127.0.0.1:${port}`);
    try {
      expect(await reader.get('app:x')).toBeNull();
      await expect(reader.set('app:x', '1')).rejects.toThrow(/NOPERM/);
    } finally {
      reader.disconnect();
    }
    for (const aclUsers of [
      [{ name: 'a b', rules: ['on'] }],
      [{ name: 'a', rules: ['on\nuser evil on nopass +@all ~*'] }],
      [{ name: 'a', rules: ['+get +set'] }],
    ]) {
      await expect(startRedisServer({ aclUsers })).rejects.toMatchObject({
        code: 'ERR_SWITCHBOARD_INVALID_OPTION',
      });
    }
  });
});
