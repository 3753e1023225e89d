import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { EventBus, EventSubscriber, ProductEvents, redisTransport } from 'switchboard';
import { freePort, startRedisServer, type RedisServer } from 'switchboard/testing';
import { waitFor } from '../support/wait-for.js';

// Behind Sentinel: one master, one replica, one sentinel on loopback. The
// transport asks the sentinel for the master, and after the master dies and
// the sentinel promotes the replica, publishing and consuming go on.

let master: RedisServer;
let replica: RedisServer;
let sentinel: ChildProcess;
let sentinelPort: number;
let dir: string;

beforeAll(async () => {
  master = await startRedisServer({ args: ['--repl-diskless-sync-delay', '0'] });
  replica = await startRedisServer({ args: ['--replicaof', '127.0.0.1', String(master.port)] });
  dir = await mkdtemp(join(tmpdir(), 'switchboard-sentinel-'));
  sentinelPort = await freePort();
  const config = join(dir, 'sentinel.conf');
  await writeFile(
    config,
    [
      `port ${sentinelPort}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `sentinel monitor shop 127.0.0.1 ${master.port} 1`,
      'sentinel down-after-milliseconds shop 1000',
      'sentinel failover-timeout shop 5000',
    ].join('\n'),
  );
  sentinel = spawn('redis-server', [config, '--sentinel'], { stdio: 'ignore' });
  const probe = new Redis({ port: sentinelPort, lazyConnect: true, retryStrategy: () => 50 });
  probe.on('error', () => undefined);
  await waitFor('the sentinel to see the replica', 15_000, async () => {
    try {
      const replicas = (await probe.call('SENTINEL', 'REPLICAS', 'shop')) as unknown[];
      return replicas.length === 1;
    } catch {
      return false;
    }
  });
  probe.disconnect();
}, 30_000);

afterAll(async () => {
  sentinel.kill('SIGKILL');
  await Promise.all([master.stop(), replica.stop()]);
  await rm(dir, { recursive: true, force: true });
});

it('publishes and consumes through the master the sentinel names, across a failover', async () => {
  const prefix = `sentinel-${randomUUID()}`;
  const bus = new EventBus({
    source: 'sentinel-test',
    transport: redisTransport({
      sentinel: { sentinels: [{ host: '127.0.0.1', port: sentinelPort }], name: 'shop' },
      prefix,
      blockMs: 200,
      commandTimeoutMs: 2_000,
    }),
  });
  const seen = new Set<number>();
  const consumer = new EventSubscriber(bus, { group: 'stock', start: 'earliest' });
  consumer.on(ProductEvents.created, (event) => {
    seen.add(event.data.productId);
  });
  const created = (productId: number) =>
    ProductEvents.created.create({ productId, name: 'Pen', price: 2, createdBy: 7 });
  try {
    await consumer.start();
    await bus.publish(created(1), { durability: { replicas: 1, timeoutMs: 1_000 } });
    await waitFor('the first event', 5_000, () => seen.has(1));

    process.kill(master.pid, 'SIGKILL');
    // Publishing retries until the sentinel has promoted the replica.
    await waitFor('a publish on the promoted master', 20_000, async () => {
      try {
        await bus.publish(created(2));
        return true;
      } catch {
        return false;
      }
    });
    const promoted = new Redis(replica.url);
    expect(await promoted.info('replication')).toMatch(/role:master/);
    promoted.disconnect();
    await waitFor('the event published after the failover', 15_000, () => seen.has(2));
  } finally {
    await consumer.stop();
    await bus.close();
  }
}, 60_000);
