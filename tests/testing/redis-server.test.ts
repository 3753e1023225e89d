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
});
