import type { Logger } from '../logger.js';
import type { HostPolicy } from './host-policy.js';
import { instanceRecord } from './instance-record.js';
import type { InstanceTable } from './instance-table.js';
import type { LiveInstance } from './live-instance.js';
import type { RegistryStore } from './registry-store.js';
import type { InstanceRecord } from './service-instance.js';

/** The registry as {@link StoreSync} sees it. */
export type StoreSyncHost = {
  readonly table: InstanceTable;
  /** The registry's host rules: a record they refuse is ignored like an invalid one. */
  readonly checkHost: HostPolicy;
  /** Adds a remote instance. */
  add(record: InstanceRecord): void;
  /** Removes an instance that left the store (or moved to another URL). */
  remove(instance: LiveInstance): void;
  /** A remote instance's health path or metadata changed in place. */
  updated(instance: LiveInstance): void;
  failed(operation: 'announce' | 'withdraw', instance: LiveInstance, error: unknown): void;
};

/**
 * The registry's side of a {@link RegistryStore}: writes run in the
 * background, in order per instance (a quick register/deregister cannot
 * reach the store as withdraw-then-announce), and never reject into the
 * caller; the store's list is mirrored through the host.
 */
export class StoreSync {
  readonly #store: RegistryStore;
  readonly #logger: Logger;
  readonly #host: StoreSyncHost;
  readonly #writes = new Map<string, Promise<void>>();
  // Deregistered here, possibly still listed by the store until the withdrawal lands.
  readonly #withdrawn = new Set<string>();
  readonly #unwatch: () => void;
  #closed = false;

  constructor(store: RegistryStore, logger: Logger, host: StoreSyncHost) {
    this.#store = store;
    this.#logger = logger;
    this.#host = host;
    this.#unwatch = store.watch((records) => {
      if (this.#closed) return;
      try {
        this.#mirror(records);
      } catch (error) {
        // Thrown into the store's notify loop it could stop the store; keep it here, logged.
        logger.error({ error }, 'mirroring the registry store failed');
      }
    });
  }

  announce(instance: LiveInstance): void {
    this.#withdrawn.delete(instance.id);
    this.#write(instance, 'announce', () => this.#store.announce(instance.record));
  }

  withdraw(instance: LiveInstance): void {
    this.#withdrawn.add(instance.id);
    this.#write(instance, 'withdraw', () => this.#store.withdraw(instance.id));
  }

  // Mirrors the store's full list: adds new remote ids, replaces moved ones,
  // updates changed details, removes vanished ones; local instances are ours.
  #mirror(records: readonly InstanceRecord[]): void {
    const { table } = this.#host;
    const listed = new Set<string>();
    for (const raw of records) {
      const record = this.#valid(raw);
      if (record === undefined || listed.has(record.id)) continue;
      listed.add(record.id);
      const existing = table.get(record.id);
      if (existing?.local === true || this.#withdrawn.has(record.id)) continue;
      if (existing === undefined) {
        this.#host.add(record);
      } else if (existing.name !== record.name || existing.baseUrl !== record.baseUrl) {
        this.#host.remove(existing);
        this.#host.add(record);
      } else if (!sameDetails(existing.record, record)) {
        existing.update(record);
        this.#host.updated(existing);
      }
    }
    // A withdrawn id the store no longer lists: the withdrawal has landed.
    for (const id of this.#withdrawn) if (!listed.has(id)) this.#withdrawn.delete(id);
    for (const instance of table.all()) {
      if (!instance.local && !listed.has(instance.id)) this.#host.remove(instance);
    }
  }

  // A record from the store, checked like a registration; `undefined` (and a warning) when bad.
  #valid(raw: InstanceRecord): InstanceRecord | undefined {
    const id: unknown = (raw as Partial<InstanceRecord> | null)?.id;
    try {
      if (typeof id !== 'string' || id === '') throw new TypeError('the record has no id');
      const record = instanceRecord(raw);
      this.#host.checkHost(record.baseUrl);
      return record;
    } catch (error) {
      this.#logger.warn({ error, id }, 'ignoring an invalid record from the store');
      return undefined;
    }
  }

  /** Resolves when every write queued so far (and any queued meanwhile) has settled. */
  async flush(): Promise<void> {
    while (this.#writes.size > 0) await Promise.all(this.#writes.values());
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#unwatch();
    await this.#store.close();
  }

  #write(
    instance: LiveInstance,
    operation: 'announce' | 'withdraw',
    send: () => Promise<void>,
  ): void {
    if (this.#closed) return;
    const previous = this.#writes.get(instance.id) ?? Promise.resolve();
    const write = previous
      // After close() the store withdraws everything itself; a queued write would only fail.
      .then(() => (this.#closed ? undefined : send()))
      .catch((error: unknown) => {
        this.#logger.warn(
          { error, instance: instance.id, service: instance.name },
          `${operation} failed`,
        );
        this.#host.failed(operation, instance, error);
      })
      .finally(() => {
        if (this.#writes.get(instance.id) === write) this.#writes.delete(instance.id);
      });
    this.#writes.set(instance.id, write);
  }
}

function sameDetails(a: InstanceRecord, b: InstanceRecord): boolean {
  const keys = Object.keys(a.metadata);
  return (
    a.healthPath === b.healthPath &&
    keys.length === Object.keys(b.metadata).length &&
    keys.every((key) => a.metadata[key] === b.metadata[key])
  );
}
