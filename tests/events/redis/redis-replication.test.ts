import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  EventBus,
  NotReplicatedError,
  ProductEvents,
  isSwitchboardError,
  memoryTransport,
  redisTransport,
} from 'switchboard';
import { startRedisServer, type RedisServer } from 'switchboard/testing';
import { waitFor } from '../../support/wait-for.js';

// `durability` makes a publish wait (WAIT, on the connection that stored the
// event) until replicas hold it, and says so when they did not in time.

let master: RedisServer;
let replica: RedisServer;
let alone: RedisServer;
beforeAll(async () => {
  // A replica syncs at once, not after the default 5 s wait for others to join.
  [master, alone] = await Promise.all([
    startRedisServer({ args: ['--repl-diskless-sync-delay', '0'] }),
    startRedisServer(),
  ]);
  replica = await startRedisServer({ args: ['--replicaof', '127.0.0.1', String(master.port)] });
  const admin = new Redis(replica.url);
  await waitFor('the replica in sync', 10_000, async () =>
    /master_link_status:up/.test(await admin.info('replication')),
  );
  admin.disconnect();
});
afterAll(async () => {
  await Promise.all([replica.stop(), master.stop(), alone.stop()]);
});

const product = () =>
  ProductEvents.created.create({ productId: 1, name: 'Pen', price: 2, createdBy: 7 });

it('resolves once a replica holds the event', async () => {
  const prefix = `wait-${randomUUID()}`;
  const bus = new EventBus({
    source: 'test',
    transport: redisTransport({ url: master.url, prefix }),
  });
  try {
    const event = await bus.publish(product(), { durability: { replicas: 1, timeoutMs: 2_000 } });
    const onReplica = new Redis(replica.url);
    const entries = await onReplica.xrange(`${prefix}:events:{product}`, '-', '+');
    onReplica.disconnect();
    const ids = entries.map(([, fields]) => (JSON.parse(fields[1] ?? '{}') as { id: string }).id);
    expect(ids).toEqual([event.id]);
  } finally {
    await bus.close();
  }
});

it('rejects with NotReplicatedError when no replica confirms in time; the master keeps the event', async () => {
  const prefix = `wait-${randomUUID()}`;
  const bus = new EventBus({
    source: 'test',
    transport: redisTransport({ url: alone.url, prefix }),
  });
  try {
    const started = Date.now();
    const error = await bus
      .publish(product(), { durability: { replicas: 1, timeoutMs: 150 } })
      .catch((e: unknown) => e);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(error).toBeInstanceOf(NotReplicatedError);
    expect(error).toMatchObject({ code: 'NOT_REPLICATED', replicas: 1, acknowledged: 0 });
    const admin = new Redis(alone.url);
    const entries = await admin.xrange(`${prefix}:events:{product}`, '-', '+');
    admin.disconnect();
    expect(entries.map(([id]) => id)).toEqual([(error as NotReplicatedError).messageId]);
    await expect(
      bus.publish(product(), { durability: { replicas: 1.5, timeoutMs: 10 } }),
    ).rejects.toMatchObject({ code: 'ERR_SWITCHBOARD_INVALID_OPTION' });
  } finally {
    await bus.close();
  }
});

it('is never confirmed by the memory transport, which has no replicas', async () => {
  const bus = new EventBus({ source: 'test', transport: memoryTransport() });
  const error = await bus
    .publish(product(), { durability: { replicas: 1, timeoutMs: 10 } })
    .catch((e: unknown) => e);
  expect(isSwitchboardError(error, 'NOT_REPLICATED')).toBe(true);
  await bus.close();
});
