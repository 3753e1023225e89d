import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ServiceRegistry, redisRegistryStore } from 'switchboard';
import { startRedisCluster, type RedisCluster } from 'switchboard/testing';
import { waitFor } from '../support/wait-for.js';

// Discovery on a cluster: the store's keys share one hash tag ({registry}),
// its scripts touch only them, and its change notifications go over the
// cluster's pub/sub, so two registries see each other as on one Redis.

let cluster: RedisCluster;
beforeAll(async () => {
  cluster = await startRedisCluster({ masters: 3 });
});
afterAll(async () => {
  await cluster.stop();
});

it('shares instances between two registries through a store on the cluster', async () => {
  const prefix = `reg-${randomUUID()}`;
  const open = (): ServiceRegistry =>
    new ServiceRegistry({
      health: false,
      store: redisRegistryStore(
        { cluster: { nodes: [...cluster.startupNodes] } },
        { prefix, ttlMs: 2_000 },
      ),
    });
  const product = open();
  const gateway = open();
  try {
    const instance = product.register({ name: 'product', baseUrl: 'http://127.0.0.1:8003' });
    await product.flush();
    await waitFor('the announcement', 5_000, () => gateway.instances('product').length === 1);
    expect(gateway.instances('product')[0]?.baseUrl).toBe('http://127.0.0.1:8003');
    product.deregister(instance.id);
    await product.flush();
    await waitFor('the withdrawal', 5_000, () => gateway.instances('product').length === 0);
  } finally {
    await product.close();
    await gateway.close();
  }
}, 30_000);
