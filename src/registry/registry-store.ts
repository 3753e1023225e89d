import type { InstanceRecord } from './service-instance.js';

/**
 * Shares instances between processes. A registry announces its local
 * instances to the store and mirrors every instance the store reports.
 * Implementations: `redisRegistryStore` (and any of your own).
 */
export type RegistryStore = {
  /**
   * Publishes a local instance and keeps it alive (heartbeats) until withdrawn
   * or closed. The store takes the record into its heartbeat set before the
   * first write, so when that write fails (the promise rejects) the next
   * heartbeat retries it; the registry only reports the rejection. Announcing
   * an id again replaces its record.
   */
  announce(record: InstanceRecord, options?: { readonly signal?: AbortSignal }): Promise<void>;
  /** Removes a local instance at once. */
  withdraw(id: string, options?: { readonly signal?: AbortSignal }): Promise<void>;
  /**
   * Calls `listener` with the full set of live instances (of every process,
   * this one included) whenever it changes, and once soon after subscribing.
   * Returns the unsubscribe function.
   */
  watch(listener: (records: readonly InstanceRecord[]) => void): () => void;
  /** Withdraws this process's instances and stops all background work. Idempotent. */
  close(): Promise<void>;
};
