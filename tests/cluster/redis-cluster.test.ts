import { Cluster } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { startRedisCluster, type RedisCluster } from 'switchboard/testing';

const clusters: RedisCluster[] = [];
const clients: Cluster[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.disconnect();
  await Promise.all(clusters.splice(0).map((cluster) => cluster.stop()));
});

function connect(cluster: RedisCluster): Cluster {
  const client = new Cluster([...cluster.startupNodes]);
  client.on('error', () => undefined);
  clients.push(client);
  return client;
}

describe('startRedisCluster', () => {
  it('forms a cluster of masters that serves every slot, and stops every node', async () => {
    const cluster = await startRedisCluster({ masters: 3 });
    clusters.push(cluster);
    expect(cluster.nodes).toHaveLength(3);
    expect(await cluster.masters()).toHaveLength(3);
    const client = connect(cluster);
    // Keys on the three masters' slot ranges.
    for (const key of ['a', 'b', 'c', '{x}1', '{y}2', '{z}3']) await client.set(key, key);
    expect(await client.get('{y}2')).toBe('{y}2');
    const slots = (await client.cluster('SLOTS')) as unknown[][];
    expect(new Set(slots.map((range) => (range[2] as unknown[])[1])).size).toBe(3);
    client.disconnect();
    await cluster.stop();
    await cluster.stop();
    for (const node of cluster.nodes) expect(() => process.kill(node.pid, 0)).toThrow();
  }, 60_000);

  it('promotes a replica when a master dies, and takes the old master back as a replica', async () => {
    const cluster = await startRedisCluster({
      masters: 3,
      replicasPerMaster: 1,
      nodeTimeoutMs: 1_000,
    });
    clusters.push(cluster);
    expect(cluster.nodes).toHaveLength(6);
    const before = await cluster.masters();
    expect(before.map((node) => node.port)).toEqual(cluster.nodes.slice(0, 3).map((n) => n.port));
    const victim = before[0];
    if (victim === undefined) throw new Error('no master');
    process.kill(victim.pid, 'SIGKILL');
    await cluster.waitUntilHealthy({ timeoutMs: 20_000 });
    const after = await cluster.masters();
    expect(after).toHaveLength(3);
    expect(after.map((node) => node.port)).not.toContain(victim.port);
    await victim.restart();
    await cluster.waitUntilHealthy({ timeoutMs: 20_000 });
    expect((await cluster.masters()).map((node) => node.port)).not.toContain(victim.port);
  }, 60_000);
});
