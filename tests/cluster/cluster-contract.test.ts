import { randomUUID } from 'node:crypto';
import { afterAll } from 'vitest';
import { redisTransport } from 'switchboard';
import { runTransportContract, startRedisCluster, type RedisCluster } from 'switchboard/testing';

// The same semantics suite as a single Redis, on a real three-master cluster:
// the transport must run unchanged on it, with a different connection option.

let cluster: Promise<RedisCluster> | undefined;
afterAll(async () => {
  await (await cluster)?.stop();
});

await runTransportContract('redis cluster', async () => {
  cluster ??= startRedisCluster({ masters: 3 });
  const { startupNodes } = await cluster;
  return redisTransport({
    cluster: { nodes: [...startupNodes] },
    prefix: `contract-${randomUUID()}`,
    blockMs: 1_000,
  });
});
