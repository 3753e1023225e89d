import { throwIfAborted } from '../../internal/abort.js';
import { functionOption, nameOption } from '../../internal/options.js';
import type { Logger } from '../../logger.js';
import type { RegistryStore } from '../registry-store.js';
import type { InstanceRecord } from '../service-instance.js';
import {
  closeConnection,
  duplicateClient,
  openConnection,
  type RedisClient,
  type RedisConnection,
} from '../../internal/redis/connection.js';
import { withDeadline } from '../../internal/redis/deadline.js';
import { registryKeys, type RegistryKeys } from './keys.js';
import { OutageLog } from './outage-log.js';
import { serialiseRecord } from './records.js';
import { RegistryStoreError, type RegistryStoreOperation } from '../../errors.js';
import { removeInstances, upsertInstances } from './scripts.js';
import { Ticker } from './ticker.js';
import { RegistryWatcher } from './watcher.js';

/** Validated options with defaults applied (see `redisRegistryStore`). */
export type Settings = {
  readonly prefix: string;
  readonly ttlMs: number;
  readonly heartbeatMs: number;
  readonly pollMs: number;
  readonly logger: Logger;
  readonly signal: AbortSignal | undefined;
};

/** The store behind `redisRegistryStore`: the write side here, the read side in {@link RegistryWatcher}. */
export class RedisRegistryStore implements RegistryStore {
  readonly #client: RedisClient;
  readonly #owned: boolean;
  readonly #keys: RegistryKeys;
  readonly #ttlMs: number;
  readonly #closeTimeoutMs: number;
  readonly #logger: Logger;
  readonly #context: Record<string, unknown>;
  readonly #signal: AbortSignal | undefined;
  // This process's instances: id → canonical JSON, rewritten by every heartbeat.
  readonly #local = new Map<string, string>();
  readonly #heartbeat: Ticker;
  readonly #heartbeatLog: OutageLog;
  readonly #watcher: RegistryWatcher;
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(redis: RedisConnection, settings: Settings) {
    this.#keys = registryKeys(settings.prefix);
    this.#ttlMs = settings.ttlMs;
    this.#closeTimeoutMs = Math.min(settings.ttlMs, 2_000);
    this.#logger = settings.logger;
    this.#context = { component: 'redis-registry-store', prefix: settings.prefix };
    const onConnectionError = (error: Error): void => {
      // Every failed reconnect lands here; the failing heartbeat or read logs the outage once.
      this.#logger.debug({ ...this.#context, err: error }, 'Redis connection error');
    };
    const { client, owned } = openConnection(redis, onConnectionError);
    this.#client = client;
    this.#owned = owned;
    this.#heartbeatLog = new OutageLog(this.#logger, this.#context, 'Registry heartbeat');
    this.#heartbeat = new Ticker(settings.heartbeatMs, () => this.#beat());
    this.#watcher = new RegistryWatcher({
      client,
      keys: this.#keys,
      pollMs: settings.pollMs,
      timeoutMs: settings.ttlMs,
      logger: this.#logger,
      context: this.#context,
      duplicate: () => duplicateClient(client, onConnectionError),
    });
    this.#signal = settings.signal;
    this.#signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  async announce(
    record: InstanceRecord,
    options: { readonly signal?: AbortSignal } = {},
  ): Promise<void> {
    throwIfAborted(options.signal);
    this.#assertOpen('announce');
    const json = serialiseRecord(record);
    this.#local.set(record.id, json);
    this.#heartbeat.start();
    await this.#write(
      'announce',
      `Announcing instance "${record.id}"`,
      () => upsertInstances(this.#client, this.#keys, this.#ttlMs, [[record.id, json]]),
      options.signal,
    );
  }

  async withdraw(id: string, options: { readonly signal?: AbortSignal } = {}): Promise<void> {
    throwIfAborted(options.signal);
    nameOption('id', id);
    // close() has withdrawn every local instance already.
    if (this.#closed) return;
    this.#local.delete(id);
    if (this.#local.size === 0) this.#heartbeat.stop();
    await this.#write(
      'withdraw',
      `Withdrawing instance "${id}"`,
      () => removeInstances(this.#client, this.#keys, [id]),
      options.signal,
    );
  }

  watch(listener: (records: readonly InstanceRecord[]) => void): () => void {
    functionOption('listener', listener);
    this.#assertOpen('watch');
    return this.#watcher.add(listener);
  }

  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  readonly #onAbort = (): void => {
    void this.close();
  };

  async #shutdown(): Promise<void> {
    this.#closed = true;
    this.#signal?.removeEventListener('abort', this.#onAbort);
    this.#heartbeat.stop();
    const ids = [...this.#local.keys()];
    this.#local.clear();
    const watcherClosed = this.#watcher.close();
    if (ids.length > 0) {
      try {
        await withDeadline(
          removeInstances(this.#client, this.#keys, ids),
          this.#closeTimeoutMs,
          'Withdrawing on close',
        );
      } catch (error) {
        this.#logger.warn(
          { ...this.#context, ids, err: error },
          'Could not withdraw instances on close; they expire within ttlMs',
        );
      }
    }
    await watcherClosed;
    if (this.#owned) await closeConnection(this.#client, this.#closeTimeoutMs);
  }

  async #beat(): Promise<void> {
    if (this.#closed || this.#local.size === 0) return;
    try {
      await withDeadline(
        upsertInstances(this.#client, this.#keys, this.#ttlMs, this.#local),
        this.#ttlMs,
        'Registry heartbeat',
      );
      this.#heartbeatLog.succeeded();
    } catch (error) {
      // A heartbeat cut short by close() is not an outage.
      if (!this.#isClosed()) this.#heartbeatLog.failed(error);
    }
  }

  async #write(
    operation: RegistryStoreOperation,
    what: string,
    command: () => Promise<unknown>,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    // Redis errors become ours; a deadline or abort surfaces as TimeoutError/AbortError.
    const pending = command().catch((error: unknown) => {
      const detail = error instanceof Error ? `: ${error.message}` : '';
      throw new RegistryStoreError(operation, 'redis', `${what} failed${detail}`, {
        cause: error,
      });
    });
    await withDeadline(pending, this.#ttlMs, what, signal);
  }

  // A method, not the field: TypeScript keeps a field's narrowing across awaits.
  #isClosed(): boolean {
    return this.#closed;
  }

  #assertOpen(operation: RegistryStoreOperation): void {
    if (this.#closed) {
      throw new RegistryStoreError(operation, 'closed', 'The registry store is closed');
    }
  }
}
