/**
 * The Redis names one registry uses. Both keys carry the `{registry}` hash
 * tag, so Redis Cluster keeps them in one slot and a script may touch both.
 * (A prefix that itself holds a `{…}` pair still lands both keys in one slot:
 * Cluster hashes the first pair, which is then the same for both.)
 */
export type RegistryKeys = {
  /** HASH: instance id → JSON record. */
  readonly instances: string;
  /** ZSET: instance id → expiry, epoch ms by the Redis server's clock. */
  readonly expiry: string;
  /** Pub/sub channel: a message means "read again". */
  readonly channel: string;
};

/** The keys and channel for `prefix`. */
export function registryKeys(prefix: string): RegistryKeys {
  const base = `${prefix}:{registry}`;
  return Object.freeze({
    instances: `${base}:instances`,
    expiry: `${base}:expiry`,
    channel: `${base}:changes`,
  });
}
