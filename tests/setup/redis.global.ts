import { Redis } from 'ioredis';
import type { TestProject } from 'vitest/node';
import { startRedisServer, type RedisServer } from '../../src/testing/redis-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The Redis every test file shares; tests isolate themselves by key prefix. */
    redisUrl: string;
  }
}

let server: RedisServer | undefined;

/**
 * Starts one real redis-server for the whole run (or uses REDIS_URL). Never
 * skips: without Redis the run fails, saying how to install it.
 */
export async function setup(project: TestProject): Promise<void> {
  const fromEnv = process.env['REDIS_URL'];
  if (fromEnv !== undefined && fromEnv !== '') {
    await ping(fromEnv);
    project.provide('redisUrl', fromEnv);
    return;
  }
  server = await startRedisServer();
  project.provide('redisUrl', server.url);
}

export async function teardown(): Promise<void> {
  await server?.stop();
}

async function ping(url: string): Promise<void> {
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    connectTimeout: 5_000,
  });
  client.on('error', () => {
    // Reported through the failed connect() below.
  });
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    throw new Error(`REDIS_URL=${url} is set but does not answer PING`, { cause: error });
  } finally {
    client.disconnect();
  }
}
