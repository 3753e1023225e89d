import { Cluster } from 'ioredis';
import type { RedisClient } from '../../internal/redis/connection.js';

/**
 * How a subscription splits its streams between blocking reads. On a single
 * Redis one `XREAD`/`XREADGROUP` covers them all. A cluster refuses a
 * command whose keys hash to different slots (`CROSSSLOT`), and every topic
 * is a hash tag of its own, so there each topic gets a read, and a
 * connection, of its own: a subscription holds one blocking connection per
 * topic (plus the transport's command connections).
 */
export function readLanes<T extends { readonly key: string }>(
  client: RedisClient,
  streams: readonly T[],
): T[][] {
  return client instanceof Cluster ? streams.map((stream) => [stream]) : [[...streams]];
}
