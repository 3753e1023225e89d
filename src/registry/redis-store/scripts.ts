import type { RedisClient } from '../../internal/redis/connection.js';
import type { RegistryKeys } from './keys.js';

// Every script reads the clock with TIME on the Redis server, so expiry scores
// from processes with skewed clocks agree. A script runs atomically: a reader's
// prune and a writer's heartbeat of the same id cannot interleave.
//
// Scripts go as EVAL, not EVALSHA: after a Redis restart EVALSHA fails with
// NOSCRIPT and the retry would be sent behind later commands, so a heartbeat
// could land after a withdraw of the same id and resurrect it. The scripts are
// a few hundred bytes, sent once per tick; Redis caches their compiled form.
const NOW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/**
 * KEYS: instances, expiry. ARGV: ttlMs, channel, then id/JSON pairs.
 * Writes every record (HSET too, so a Redis that lost its data heals) and
 * publishes only when an id appears, reappears after expiring, or changes.
 */
const UPSERT = `${NOW}
local expiresAt = now + tonumber(ARGV[1])
local changed = 0
for i = 3, #ARGV, 2 do
  local id, record = ARGV[i], ARGV[i + 1]
  if redis.call('HGET', KEYS[1], id) ~= record then
    redis.call('HSET', KEYS[1], id, record)
    changed = 1
  end
  local previous = redis.call('ZSCORE', KEYS[2], id)
  if not previous or tonumber(previous) <= now then changed = 1 end
  redis.call('ZADD', KEYS[2], string.format('%d', expiresAt), id)
end
if changed == 1 then redis.call('PUBLISH', ARGV[2], 'changed') end
return changed
`;

/** KEYS: instances, expiry. ARGV: channel, then ids. Publishes when something was removed. */
const REMOVE = `
local removed = 0
for i = 2, #ARGV do
  removed = removed + redis.call('ZREM', KEYS[2], ARGV[i]) + redis.call('HDEL', KEYS[1], ARGV[i])
end
if removed > 0 then redis.call('PUBLISH', ARGV[1], 'changed') end
return removed
`;

/**
 * KEYS: instances, expiry. ARGV: channel. Prunes expired ids (a bounded batch
 * per call, announcing the prune so other readers see the crash at once), then
 * returns { live ids, their JSON (false when the hash lacks one) }.
 */
const READ = `${NOW}
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', string.format('%d', now), 'LIMIT', 0, 500)
for i = 1, #expired do
  redis.call('ZREM', KEYS[2], expired[i])
  redis.call('HDEL', KEYS[1], expired[i])
end
if #expired > 0 then redis.call('PUBLISH', ARGV[1], 'expired') end
local ids = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. string.format('%d', now), '+inf')
local records = {}
for i = 1, #ids do records[i] = redis.call('HGET', KEYS[1], ids[i]) end
return { ids, records }
`;

/** Announces or refreshes `entries` (id → JSON) with an expiry `ttlMs` from the server's now. */
export function upsertInstances(
  client: RedisClient,
  keys: RegistryKeys,
  ttlMs: number,
  entries: Iterable<readonly [id: string, json: string]>,
): Promise<unknown> {
  const args: (string | number)[] = [ttlMs, keys.channel];
  for (const [id, json] of entries) args.push(id, json);
  return client.eval(UPSERT, 2, keys.instances, keys.expiry, ...args);
}

/** Removes `ids` at once and tells watchers. */
export function removeInstances(
  client: RedisClient,
  keys: RegistryKeys,
  ids: readonly string[],
): Promise<unknown> {
  return client.eval(REMOVE, 2, keys.instances, keys.expiry, keys.channel, ...ids);
}

/** One live entry: its id and stored JSON (`null` when the hash has none). */
export type StoredEntry = readonly [id: string, json: string | null];

/** Prunes expired instances and returns the live ones, by the server's clock. */
export async function readLiveInstances(
  client: RedisClient,
  keys: RegistryKeys,
): Promise<StoredEntry[]> {
  const reply = await client.eval(READ, 2, keys.instances, keys.expiry, keys.channel);
  if (!Array.isArray(reply) || !Array.isArray(reply[0]) || !Array.isArray(reply[1])) {
    throw new TypeError('Unexpected reply from the registry read script');
  }
  const [ids, records] = reply as [unknown[], unknown[]];
  const entries: StoredEntry[] = [];
  ids.forEach((id, index) => {
    const json = records[index];
    if (typeof id === 'string') entries.push([id, typeof json === 'string' ? json : null]);
  });
  return entries;
}
