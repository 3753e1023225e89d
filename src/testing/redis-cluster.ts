import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { throwIfAborted } from '../internal/abort.js';
import { freePort } from './free-port.js';
import { RedisServerError, startRedisServer, type RedisServer } from './redis-server.js';

/** Options of {@link startRedisCluster}; all optional. */
export type RedisClusterOptions = {
  /** Masters; the 16,384 hash slots are split evenly between them. @default 3 */
  readonly masters?: number;
  /** Replicas of each master, for failover tests. @default 0 */
  readonly replicasPerMaster?: number;
  /**
   * How long a node may be unreachable before the others count it as failed
   * and promote one of its replicas (`cluster-node-timeout`).
   * @default 2_000
   */
  readonly nodeTimeoutMs?: number;
  /** Turn on the append-only file on every node. @default false */
  readonly appendOnly?: boolean;
  /** Extra `redis-server` arguments for every node. */
  readonly args?: readonly string[];
  /** The `redis-server` binary to run. @default 'redis-server' (found on PATH) */
  readonly binary?: string;
  /** How long to wait for the cluster to be formed. @default 30_000 */
  readonly startupTimeoutMs?: number;
  readonly signal?: AbortSignal;
};

/** One node of a {@link RedisCluster}. */
export type RedisClusterNode = RedisServer & {
  /** The node's cluster id (`CLUSTER MYID`). */
  readonly id: string;
};

/** A running Redis Cluster on loopback, owned by the test that started it. */
export type RedisCluster = {
  /** Every node, masters first (in slot order), then replicas. */
  readonly nodes: readonly RedisClusterNode[];
  /** `{ host, port }` of every node, for `new Cluster(startupNodes)`. */
  readonly startupNodes: readonly { readonly host: string; readonly port: number }[];
  /** The nodes that serve slots now (a failover changes them). */
  masters(): Promise<RedisClusterNode[]>;
  /**
   * Waits until every running node reports `cluster_state:ok` and all 16,384
   * slots are served by a master that is up, e.g. after a failover.
   */
  waitUntilHealthy(options?: { readonly timeoutMs?: number }): Promise<void>;
  /** Stops every node and removes their directories. Idempotent. */
  stop(): Promise<void>;
};

const SLOTS = 16_384;

/**
 * Starts a Redis Cluster of real `redis-server` processes on free loopback
 * ports, each with its own temporary directory and cluster bus port, and
 * forms it the way `redis-cli --cluster create` does (config epochs, slots
 * split evenly, `CLUSTER MEET`, `CLUSTER REPLICATE`) without its one-second
 * polling, so a three-master cluster is ready in about a second.
 *
 * @throws {@link RedisServerError} when a node does not start or the cluster does not form in time.
 * @example
 * import { Cluster } from 'ioredis';
 * import { startRedisCluster } from 'switchboard/testing';
 * const cluster = await startRedisCluster({ masters: 3 });
 * const client = new Cluster([...cluster.startupNodes]);
 * await client.quit();
 * await cluster.stop();
 */
export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisCluster> {
  throwIfAborted(options.signal);
  const masters = options.masters ?? 3;
  const replicas = options.replicasPerMaster ?? 0;
  if (!Number.isInteger(masters) || masters < 1 || masters > 100) {
    throw new RangeError(`masters must be an integer from 1 to 100, got ${masters}`);
  }
  if (!Number.isInteger(replicas) || replicas < 0) {
    throw new RangeError(`replicasPerMaster must be an integer ≥ 0, got ${replicas}`);
  }
  const servers: RedisServer[] = [];
  const clients: Redis[] = [];
  const deadline = Date.now() + (options.startupTimeoutMs ?? 30_000);
  try {
    const busPorts: number[] = [];
    const count = masters * (1 + replicas);
    for (let i = 0; i < count; i++) {
      const busPort = await freePort();
      busPorts.push(busPort);
      servers.push(
        await startRedisServer({
          ...(options.appendOnly === undefined ? {} : { appendOnly: options.appendOnly }),
          ...(options.binary === undefined ? {} : { binary: options.binary }),
          ...(options.signal === undefined ? {} : { signal: options.signal }),
          args: [
            '--cluster-enabled', 'yes',
            '--cluster-config-file', 'nodes.conf',
            '--cluster-port', String(busPort),
            '--cluster-node-timeout', String(options.nodeTimeoutMs ?? 2_000),
            // A test kills masters on purpose: a replica must take over even
            // if it lost its link a moment before.
            '--cluster-replica-validity-factor', '0',
            // Replicas sync at once, not after the default 5 s wait for others.
            '--repl-diskless-sync-delay', '0',
            ...(options.args ?? []),
          ], // prettier-ignore
        }),
      );
    }
    for (const server of servers) clients.push(nodeClient(server.port));
    const ids = await Promise.all(clients.map((c) => c.call('CLUSTER', 'MYID') as Promise<string>));
    // Distinct config epochs, as redis-cli sets them, so no two masters start equal.
    for (let i = 0; i < masters; i++) {
      await clients[i]?.call('CLUSTER', 'SET-CONFIG-EPOCH', String(i + 1));
      const first = Math.floor((i * SLOTS) / masters);
      const last = Math.floor(((i + 1) * SLOTS) / masters) - 1;
      await clients[i]?.call('CLUSTER', 'ADDSLOTSRANGE', String(first), String(last));
    }
    const [seed] = clients;
    for (let i = 1; i < servers.length; i++) {
      const server = servers[i] as RedisServer;
      await seed?.call('CLUSTER', 'MEET', '127.0.0.1', String(server.port), String(busPorts[i]));
    }
    await waitFor(deadline, 'every node to know every other', async () => {
      const views = await Promise.all(clients.map((c) => knownNodes(c)));
      return views.every((known) => known === servers.length);
    });
    for (let r = 0; r < masters * replicas; r++) {
      const replica = clients[masters + r];
      await replica?.call('CLUSTER', 'REPLICATE', ids[r % masters] ?? '');
    }
    const cluster = handle(servers, ids, clients, options.nodeTimeoutMs ?? 2_000);
    await cluster.waitUntilHealthy({ timeoutMs: Math.max(1, deadline - Date.now()) });
    if (replicas > 0) {
      await waitFor(deadline, 'every replica to sync with its master', async () => {
        const roles = await Promise.all(clients.slice(masters).map((c) => c.info('replication')));
        return roles.every((info) => /master_link_status:up/.test(info));
      });
    }
    return cluster;
  } catch (error) {
    for (const client of clients) client.disconnect();
    await Promise.all(servers.map((server) => server.stop()));
    throw error;
  }
}

function handle(
  servers: readonly RedisServer[],
  ids: readonly string[],
  clients: readonly Redis[],
  nodeTimeoutMs: number,
): RedisCluster {
  const nodes = servers.map((server, i) => Object.assign(server, { id: ids[i] ?? '' }));
  let stopped: Promise<void> | undefined;
  const alive = async (client: Redis): Promise<boolean> => {
    try {
      await client.ping();
      return true;
    } catch {
      return false;
    }
  };
  /** Per live node, the ids of the masters that serve slots in its view. */
  const servingMasters = async (): Promise<string[][]> => {
    const views: string[][] = [];
    for (const client of clients) {
      if (!(await alive(client))) continue;
      const info = String(await client.call('CLUSTER', 'INFO'));
      if (!/cluster_state:ok/.test(info) || !/cluster_slots_ok:16384/.test(info)) return [];
      const lines = String(await client.call('CLUSTER', 'NODES')).split('\n');
      views.push(
        lines
          .map((line) => line.split(' '))
          .filter((f) => /master/.test(f[2] ?? '') && !/fail/.test(f[2] ?? '') && f.length > 8)
          .map((f) => f[0] ?? ''),
      );
    }
    return views;
  };
  const isAlive = async (id: string): Promise<boolean> => {
    const i = nodes.findIndex((node) => node.id === id);
    return i >= 0 && (await alive(clients[i] as Redis));
  };
  return {
    nodes,
    startupNodes: nodes.map((node) => ({ host: '127.0.0.1', port: node.port })),
    async masters() {
      const [view = []] = await servingMasters();
      return nodes.filter((node) => view.includes(node.id));
    },
    async waitUntilHealthy({ timeoutMs = 5 * nodeTimeoutMs + 10_000 } = {}) {
      const deadline = Date.now() + timeoutMs;
      await waitFor(deadline, 'every slot served by a live master, in every view', async () => {
        const views = await servingMasters();
        const [first] = views;
        if (first === undefined) return false;
        const agreed = views.every(
          (view) => view.length === first.length && view.every((id) => first.includes(id)),
        );
        if (!agreed) return false;
        for (const id of first) if (!(await isAlive(id))) return false;
        return true;
      });
    },
    stop() {
      stopped ??= (async () => {
        for (const client of clients) client.disconnect();
        await Promise.all(nodes.map((node) => node.stop()));
      })();
      return stopped;
    },
  };
}

/** A plain connection to one node, for the CLUSTER commands that form it; never retries for long. */
function nodeClient(port: number): Redis {
  const client = new Redis({
    host: '127.0.0.1',
    port,
    maxRetriesPerRequest: 1,
    retryStrategy: (times) => Math.min(times * 50, 500),
    // A killed node must answer "down" quickly, not after a reconnect cycle.
    commandTimeout: 1_000,
  });
  client.on('error', () => undefined);
  return client;
}

/** How many nodes `client`'s node knows, counting none still in handshake. */
async function knownNodes(client: Redis): Promise<number> {
  const lines = String(await client.call('CLUSTER', 'NODES'))
    .split('\n')
    .filter((line) => line.trim() !== '');
  return lines.some((line) => line.includes('handshake')) ? -1 : lines.length;
}

async function waitFor(
  deadline: number,
  what: string,
  predicate: () => Promise<boolean>,
): Promise<void> {
  for (;;) {
    try {
      if (await predicate()) return;
    } catch {
      // A node still starting or failing over: ask again.
    }
    if (Date.now() > deadline)
      throw new RedisServerError(`Redis Cluster: timed out waiting for ${what}`);
    await sleep(50);
  }
}
