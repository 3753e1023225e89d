import type { Logger } from '../../logger.js';
import type { InstanceRecord } from '../service-instance.js';
import { closeConnection, type RedisClient } from '../../internal/redis/connection.js';
import { withDeadline } from '../../internal/redis/deadline.js';
import type { RegistryKeys } from './keys.js';
import { OutageLog } from './outage-log.js';
import { parseRecord } from './records.js';
import { readLiveInstances } from './scripts.js';
import { Ticker } from './ticker.js';

/** What a {@link RegistryWatcher} needs from its store. */
export type WatcherOptions = {
  readonly client: RedisClient;
  readonly keys: RegistryKeys;
  readonly pollMs: number;
  /** Bound on each Redis round trip. */
  readonly timeoutMs: number;
  readonly logger: Logger;
  readonly context: Record<string, unknown>;
  /** A new connection for SUBSCRIBE, which this watcher owns and quits. */
  readonly duplicate: () => RedisClient;
};

type Listener = (records: readonly InstanceRecord[]) => void;
type Entry = { readonly listener: Listener };
type Snapshot = { readonly json: string; readonly records: readonly InstanceRecord[] };

/**
 * The read side of the store: polling plus pub/sub notification. One reader
 * serves every listener. Polling bounds staleness to `pollMs` even when a
 * notification is lost (pub/sub is best effort); a notification makes clean
 * joins and leaves visible at once. Runs only while someone listens.
 */
export class RegistryWatcher {
  readonly #options: WatcherOptions;
  readonly #listeners = new Set<Entry>();
  readonly #poll: Ticker;
  readonly #readLog: OutageLog;
  readonly #closing = new Set<Promise<void>>();
  #subscriber: RedisClient | undefined;
  #subscribed = false;
  #subscribing: Promise<void> | undefined;
  #current: Snapshot | undefined;
  #reading: Promise<void> | undefined;
  #again = false;
  #closed = false;
  // Malformed entries already logged (id → raw), so each is logged once, not every poll.
  #malformed = new Map<string, string>();

  constructor(options: WatcherOptions) {
    this.#options = options;
    this.#readLog = new OutageLog(options.logger, options.context, 'Reading the registry');
    this.#poll = new Ticker(options.pollMs, async () => {
      const subscriber = this.#subscriber;
      if (subscriber !== undefined && !this.#subscribed) await this.#subscribe(subscriber);
      await this.#refreshNow();
    });
  }

  /** Adds a listener; it gets the current set soon, then every change. */
  add(listener: Listener): () => void {
    const entry: Entry = { listener };
    this.#listeners.add(entry);
    if (this.#listeners.size === 1) {
      this.#start();
    } else if (this.#current !== undefined) {
      const snapshot = this.#current;
      queueMicrotask(() => {
        // A newer snapshot has already reached this entry through a refresh.
        if (this.#listeners.has(entry) && this.#current === snapshot) deliver(entry, snapshot);
      });
      this.refresh();
    }
    return () => {
      if (this.#listeners.delete(entry) && this.#listeners.size === 0) this.#stop();
    };
  }

  /** Reads again soon; calls while a read runs coalesce into one more read. */
  refresh(): void {
    void this.#refreshNow();
  }

  /** Stops polling and quits the subscriber connection. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#listeners.clear();
    this.#stop();
    await Promise.all(this.#closing);
  }

  #start(): void {
    this.#poll.start();
    const subscriber = this.#options.duplicate();
    this.#subscriber = subscriber;
    subscriber.on('message', (channel: string) => {
      if (channel === this.#options.keys.channel) this.refresh();
    });
    // After a reconnect ioredis resubscribes, but notifications sent meanwhile
    // are lost. (The first 'ready' is not one: the first read follows SUBSCRIBE.)
    subscriber.on('ready', () => {
      if (this.#subscribed) this.refresh();
    });
    // Subscribe before the first read, so no change falls between the two.
    void this.#subscribe(subscriber).then(() => this.#refreshNow());
  }

  #stop(): void {
    this.#poll.stop();
    this.#current = undefined;
    this.#malformed.clear();
    this.#subscribed = false;
    this.#subscribing = undefined;
    const subscriber = this.#subscriber;
    if (subscriber === undefined) return;
    this.#subscriber = undefined;
    subscriber.removeAllListeners('message');
    subscriber.removeAllListeners('ready');
    const closing = closeConnection(subscriber, this.#options.timeoutMs).finally(() => {
      this.#closing.delete(closing);
    });
    this.#closing.add(closing);
  }

  #subscribe(subscriber: RedisClient): Promise<void> {
    this.#subscribing ??= (async () => {
      try {
        const { keys, timeoutMs } = this.#options;
        await withDeadline(subscriber.subscribe(keys.channel), timeoutMs, 'SUBSCRIBE');
        if (subscriber === this.#subscriber) this.#subscribed = true;
      } catch (error) {
        if (subscriber === this.#subscriber) {
          this.#options.logger.warn(
            { ...this.#options.context, err: error },
            'Could not subscribe to registry changes; relying on polling until it works',
          );
        }
      } finally {
        if (subscriber === this.#subscriber) this.#subscribing = undefined;
      }
    })();
    return this.#subscribing;
  }

  #refreshNow(): Promise<void> {
    if (!this.#active()) return Promise.resolve();
    if (this.#reading !== undefined) {
      this.#again = true;
      return this.#reading;
    }
    this.#reading = (async () => {
      try {
        do {
          this.#again = false;
          await this.#readOnce();
        } while (this.#readAgain());
      } finally {
        this.#reading = undefined;
      }
    })();
    return this.#reading;
  }

  // A method, not inline: TypeScript keeps a field's narrowing across awaits.
  #readAgain(): boolean {
    return this.#again && this.#active();
  }

  #active(): boolean {
    return !this.#closed && this.#listeners.size > 0;
  }

  async #readOnce(): Promise<void> {
    const { client, keys, timeoutMs } = this.#options;
    let entries;
    try {
      entries = await withDeadline(readLiveInstances(client, keys), timeoutMs, 'Registry read');
    } catch (error) {
      if (this.#active()) this.#readLog.failed(error);
      return;
    }
    this.#readLog.succeeded();
    if (!this.#active()) return;
    const records: InstanceRecord[] = [];
    const malformed = new Map<string, string>();
    for (const [id, raw] of entries) {
      // No JSON for a live id: the hash lost it; the owner's next heartbeat restores it.
      if (raw === null) continue;
      const record = parseRecord(id, raw);
      if (record === undefined) malformed.set(id, raw);
      else records.push(record);
    }
    this.#reportMalformed(malformed);
    records.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const json = JSON.stringify(records);
    if (json === this.#current?.json) return;
    const snapshot: Snapshot = { json, records: Object.freeze(records) };
    this.#current = snapshot;
    for (const entry of [...this.#listeners]) deliver(entry, snapshot);
  }

  #reportMalformed(malformed: Map<string, string>): void {
    for (const [id, raw] of malformed) {
      if (this.#malformed.get(id) === raw) continue;
      this.#options.logger.warn(
        { ...this.#options.context, id, record: raw.slice(0, 200) },
        'Skipping a malformed registry record',
      );
    }
    this.#malformed = malformed;
  }
}

function deliver(entry: Entry, snapshot: Snapshot): void {
  try {
    entry.listener(snapshot.records);
  } catch (error) {
    // As TypedEmitter does: loud, but a listener's bug cannot stop the others.
    process.nextTick(() => {
      throw error;
    });
  }
}
