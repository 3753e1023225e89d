import { delay, raceAbort } from '../../internal/abort.js';
import type { Logger } from '../../logger.js';
import { errorText, invokeHandler, type HandlerOutcome } from '../handler-outcome.js';
import type {
  MessageHandler,
  SubscriptionSpec,
  SubscriptionStats,
  TransportSubscription,
} from '../transport.js';
import type { ConsumerCore } from './consumer-core.js';
import { GroupCommands, type DeadLetterCause } from './group-commands.js';
import {
  heldKey,
  redisBackoffMs,
  toHeld,
  type HeldMessage,
  type StreamRef,
  type SubscriptionHost,
} from './held-message.js';
import { PAYLOAD_FIELD } from './keys.js';
import { Housekeeping } from './housekeeping.js';
import { OutcomeWrites } from './outcome-writes.js';
import { GroupLane, readLanes } from './read-lanes.js';
import { ReadSlots } from './read-slots.js';
import { RetryQueue } from './retry-queue.js';
import { TrimLosses } from './trim-losses.js';
import { isRedisError, type StreamEntry } from './stream-reply.js';

type Running = { readonly held: HeldMessage; readonly done: Promise<void> };

/**
 * One consumer of a consumer group on Redis Streams.
 *
 * - Reads with `XREADGROUP … BLOCK` on a connection of its own, and only as
 *   many entries as it has free handler slots, so nothing waits in the process
 *   while it ages in the pending list.
 * - Acknowledges (`XACK`) only after the handler succeeded. A failed message
 *   waits for its retry delay in a timer, then is re-claimed with `XCLAIM`
 *   (Redis counts the delivery, so the count survives crashes), without
 *   holding up the messages behind it; after `maxDeliveries` it goes to the
 *   dead letters, in one transaction with its acknowledgement.
 * - Renews the lease of every message it holds (`XCLAIM … JUSTID`) every
 *   third of `claimIdleMs`, so a slow handler is never taken over while it is
 *   alive; and takes over messages idle for `claimIdleMs` on consumers that
 *   stopped renewing them (`XAUTOCLAIM`).
 * - Survives Redis going away: reads back off and resume; a group that
 *   vanished (`NOGROUP`: the stream was deleted, or Redis restarted without
 *   persistence) is re-created after the last entry read, not re-read from
 *   the start of time, and not skipped past either.
 */
export class DurableSubscription implements TransportSubscription {
  readonly #spec: SubscriptionSpec;
  readonly #handler: MessageHandler;
  readonly #host: SubscriptionHost;
  readonly #logger: Logger;
  readonly #commands: GroupCommands;
  readonly #streams: readonly StreamRef[];
  readonly #byKey: ReadonlyMap<string, StreamRef>;
  readonly #topicStreams: readonly StreamRef[];
  readonly #lanes: readonly GroupLane[];
  readonly #slots: ReadSlots;
  /** The last entry read from each topic stream: where a vanished group is re-created. */
  readonly #lastRead = new Map<string, string>();
  /** Read and not yet running, in the order read (a Map: `#isHeld` runs for every entry read). */
  readonly #buffered = new Map<string, HeldMessage>();
  readonly #running = new Map<string, Running>();
  readonly #retrying: RetryQueue;
  /** Acknowledgements and dead letters being written. */
  readonly #settling: OutcomeWrites;
  /** Aborts handlers when the subscription stops without draining. */
  readonly #handlers = new AbortController();
  /** Aborts the read loop's waits when the subscription stops. */
  readonly #halt = new AbortController();
  /** Housekeeping rounds and retries under way: they may take entries a draining stop must run. */
  readonly #background = new Set<Promise<void>>();
  readonly #trimLosses: TrimLosses;
  readonly #housekeeping: Housekeeping;
  #stopping: Promise<void> | undefined;
  /** Inside #pump's loop: a settle there must not start another one. */
  #pumping = false;

  private constructor(spec: SubscriptionSpec, handler: MessageHandler, host: SubscriptionHost) {
    this.#spec = spec;
    this.#handler = handler;
    this.#host = host;
    this.#logger = host.options.logger;
    this.#commands = new GroupCommands(
      host.link,
      host.keys,
      spec.group,
      spec.consumer,
      host.options.deadLetterMaxLen,
    );
    this.#streams = spec.topics.flatMap((topic) => [
      { key: host.keys.stream(topic), topic, redrive: false },
      { key: host.keys.redrive(topic, spec.group), topic, redrive: true },
    ]);
    this.#byKey = new Map(this.#streams.map((stream) => [stream.key, stream]));
    this.#topicStreams = this.#streams.filter((stream) => !stream.redrive);
    this.#trimLosses = new TrimLosses(
      spec,
      host.options.logger,
      `group "${spec.group}" acknowledged them`,
    );
    this.#lanes = readLanes(host.link.client, this.#topicStreams).map(
      (streams) => new GroupLane(spec, host, streams, this.#streams),
    );
    this.#slots = new ReadSlots(() => this.#freeSlots(), this.#lanes.length);
    const core: ConsumerCore = {
      spec,
      commands: this.#commands,
      link: host.link,
      logger: host.options.logger,
      trimLosses: this.#trimLosses,
      stopped: () => this.#stopped(),
      abandoned: () => this.#abandoned(),
      admit: (stream, entry, deliveryCount) => {
        this.#admit(stream, entry, deliveryCount);
      },
      pump: () => {
        this.#pump();
      },
      inBackground: (work) => {
        this.#inBackground(work);
      },
    };
    this.#housekeeping = new Housekeeping({
      ...core,
      blockMs: host.options.blockMs,
      streams: this.#streams,
      held: () => this.#held(),
      freeSlots: () => this.#freeSlots(),
      takeOver: (stream, entries) => {
        this.#takeOver(stream, entries);
      },
    });
    this.#retrying = new RetryQueue(core);
    this.#settling = new OutcomeWrites({
      link: host.link,
      logger: host.options.logger,
      group: spec.group,
      abandoned: this.#handlers.signal,
      halted: this.#halt.signal,
    });
  }

  /** Creates the groups, then starts reading; rejects (and cleans up) if the groups cannot be created. */
  static async start(
    spec: SubscriptionSpec,
    handler: MessageHandler,
    host: SubscriptionHost,
  ): Promise<DurableSubscription> {
    const subscription = new DurableSubscription(spec, handler, host);
    try {
      await subscription.#createGroups(false);
    } catch (error) {
      await subscription.#closeReaders();
      throw error;
    }
    subscription.#begin();
    return subscription;
  }

  stats(): SubscriptionStats {
    return {
      inFlight: this.#running.size,
      pending: this.#running.size + this.#buffered.size + this.#retrying.size + this.#settling.size,
      lag: this.#housekeeping.lag,
      connected: this.#host.link.connected && this.#lanes.every((lane) => lane.outage.ok),
      trimmed: this.#trimLosses.total,
    };
  }

  stop(options: { readonly drain?: boolean; readonly signal?: AbortSignal } = {}): Promise<void> {
    this.#stopping ??= this.#stop(options.drain ?? true, options.signal);
    return this.#stopping;
  }

  #begin(): void {
    this.#housekeeping.start();
    for (const lane of this.#lanes) lane.loop = this.#readLoop(lane);
  }

  async #closeReaders(): Promise<void> {
    const timeoutMs = this.#host.options.commandTimeoutMs;
    await Promise.all(this.#lanes.map((lane) => lane.reader.close(timeoutMs)));
  }

  async #stop(drain: boolean, signal: AbortSignal | undefined): Promise<void> {
    this.#halt.abort();
    // Waiting for a retry: left pending, taken over after claimIdleMs.
    this.#retrying.clear();
    if (!drain) this.#abandon();
    this.#slots.wake();
    await Promise.all(this.#lanes.map((lane) => lane.reader.interrupt(lane.loop)));
    try {
      if (drain) {
        const drained = this.#drain();
        await (signal === undefined ? drained : raceAbort(drained, signal));
      }
    } finally {
      this.#abandon();
      this.#housekeeping.stop();
      await this.#closeReaders();
      // Only if it holds nothing (what it holds is taken over after claimIdleMs),
      // and not worth waiting for Redis over.
      if (this.#host.link.connected) {
        await Promise.all(
          this.#streams.map((stream) => this.#commands.retire(stream).catch(() => undefined)),
        );
      }
      this.#host.onStopped();
    }
  }

  /**
   * Runs to the end everything this consumer took before it stopped reading:
   * a read's reply can land after the stop (Redis already counts those
   * entries as delivered to it), so buffered entries run too, not only the
   * handlers under way.
   */
  async #drain(): Promise<void> {
    await Promise.all(this.#background);
    for (;;) {
      this.#pump();
      const work = [...this.#running.values(), ...this.#settling.values()];
      if (work.length === 0) return;
      await Promise.all(work.map(({ done }) => done));
    }
  }

  /** What still runs, or never started, stays pending for another consumer. */
  #abandon(): void {
    this.#handlers.abort();
    this.#running.clear();
    this.#buffered.clear();
  }

  // Methods, not getters: TypeScript would keep a narrowed value across awaits.
  /** No more reading, housekeeping or retries; what was taken may still run (a draining stop). */
  #stopped(): boolean {
    return this.#halt.signal.aborted;
  }

  /** Nothing more runs: a stop without drain, or one whose caller gave up waiting. */
  #abandoned(): boolean {
    return this.#handlers.signal.aborted;
  }

  #inBackground(work: Promise<void>): void {
    this.#background.add(work);
    void work.finally(() => this.#background.delete(work));
  }

  async #createGroups(recovering: boolean): Promise<void> {
    for (const stream of this.#streams) {
      await this.#commands.createGroup(stream, this.#startId(stream, recovering));
    }
  }

  #startId(stream: StreamRef, recovering: boolean): string {
    // A redrive stream only ever holds this group's letters: all of them are for it.
    if (stream.redrive) return '0';
    if (recovering) return this.#lastRead.get(stream.key) ?? '0';
    const { start } = this.#spec;
    return start === 'latest' ? '$' : start === 'earliest' ? '0' : start.afterId;
  }

  async #readLoop(lane: GroupLane): Promise<void> {
    while (!this.#stopped()) {
      if (this.#slots.available() <= 0) {
        await this.#slots.wait();
        // Let the other handlers finishing in this turn free their slots too:
        // one read of ten entries, not ten reads of one.
        await new Promise((resolve) => setImmediate(resolve));
        continue;
      }
      try {
        // First what this consumer held before a restart under the same name.
        if (lane.history.size > 0) {
          await this.#readOwnHistory(lane.history, this.#slots.available());
          continue;
        }
        const share = this.#slots.take();
        try {
          // COUNT applies to each stream: split the share between them.
          const reply = await lane.read(Math.ceil(share / lane.streams.length));
          lane.outage.succeeded();
          if (!this.#abandoned()) this.#accept(reply);
        } finally {
          this.#slots.release(share);
        }
      } catch (error) {
        if (this.#stopped()) return;
        const failures = lane.outage.failed();
        this.#host.link.noteError(error);
        if (isRedisError(error, 'NOGROUP')) {
          lane.outage.groupLost();
          await this.#createGroups(true).catch((failure: unknown) => {
            this.#host.link.noteError(failure);
          });
        } else {
          this.#logger.warn(
            { group: this.#spec.group, failures, error: errorText(error) },
            'event stream read failed; retrying',
          );
        }
        await delay(redisBackoffMs(failures), this.#halt.signal).catch(() => undefined);
      }
    }
  }

  async #readOwnHistory(history: Map<StreamRef, string>, count: number): Promise<void> {
    for (const [stream, afterId] of history) {
      const entries = await this.#commands.ownHistory(stream, afterId, count);
      const last = entries.at(-1);
      if (last === undefined) history.delete(stream);
      else history.set(stream, last.entry.id);
      if (this.#abandoned()) return;
      this.#takeOver(stream, entries);
      if (this.#stopped()) break;
    }
    this.#pump();
  }

  /**
   * Admits messages taken over (from a dead consumer, or from this one's
   * previous life), or dead-letters those whose every delivery so far ended
   * with the consumer dying.
   */
  #takeOver(
    stream: StreamRef,
    entries: readonly { readonly entry: StreamEntry; readonly deliveryCount: number }[],
  ): void {
    for (const { entry, deliveryCount } of entries) {
      if (deliveryCount - 1 >= this.#spec.maxDeliveries) {
        if (this.#isHeld(heldKey(stream, entry.id))) continue;
        void this.#deadLetter(toHeld(stream, entry, deliveryCount - 1), {
          reason: 'max-deliveries',
          error: 'every delivery ended with its consumer stopping or crashing',
          deliveryCount: deliveryCount - 1,
        });
      } else {
        this.#admit(stream, entry, deliveryCount);
      }
    }
  }

  /** Every message this consumer holds: each has its lease renewed. */
  *#held(): Iterable<HeldMessage> {
    for (const { held } of this.#running.values()) yield held;
    for (const { held } of this.#settling.values()) yield held;
    yield* this.#retrying.values();
    yield* this.#buffered.values();
  }

  #freeSlots(): number {
    return this.#spec.concurrency - this.#running.size - this.#buffered.size;
  }

  #accept(reply: Map<string, StreamEntry[]>): void {
    for (const [key, entries] of reply) {
      const stream = this.#byKey.get(key);
      if (stream === undefined) continue;
      for (const entry of entries) {
        if (!stream.redrive) this.#lastRead.set(key, entry.id);
        this.#admit(stream, entry, 1);
      }
    }
    this.#pump();
  }

  /** Takes an entry this consumer now holds: buffered to run, or dead-lettered if it cannot be. */
  #admit(stream: StreamRef, entry: StreamEntry, deliveryCount: number): void {
    const key = heldKey(stream, entry.id);
    if (this.#isHeld(key)) return;
    const held = toHeld(stream, entry, deliveryCount);
    const payload = entry.fields?.get(PAYLOAD_FIELD);
    if (entry.fields === null) {
      // Deleted (trimmed) while pending: nothing left to deliver.
      if (!stream.redrive) this.#trimLosses.found(stream.topic, { pending: 1 });
      void this.#settling.write(held, () => this.#commands.ack(held));
    } else if (payload === undefined) {
      const fields = JSON.stringify(Object.fromEntries(entry.fields));
      void this.#deadLetter(
        { ...held, message: { ...held.message, payload: fields } },
        { reason: 'malformed-entry', error: `no "${PAYLOAD_FIELD}" field`, deliveryCount },
      );
    } else {
      this.#buffered.set(key, held);
    }
  }

  #isHeld(key: string): boolean {
    return (
      this.#running.has(key) ||
      this.#retrying.has(key) ||
      this.#settling.has(key) ||
      this.#buffered.has(key)
    );
  }

  #pump(): void {
    // A handler that finishes at once settles inside #run, which pumps
    // again: this loop goes on instead, the stack stays flat.
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (!this.#abandoned() && this.#running.size < this.#spec.concurrency) {
        const next = this.#buffered.entries().next();
        if (next.done === true) return;
        const [key, held] = next.value;
        this.#buffered.delete(key);
        this.#run(key, held);
      }
    } finally {
      this.#pumping = false;
    }
  }

  #run(key: string, held: HeldMessage): void {
    // A handler that finished at once is settled inside invokeHandler,
    // before it is ever counted as running (ADR 0024).
    let running = false;
    const done = invokeHandler(this.#handler, held.message, this.#handlers.signal, (outcome) => {
      // Abandoned by a stop without drain: it stays pending for another consumer.
      if (running && !this.#running.delete(key)) return;
      this.#settle(key, held, outcome);
    });
    if (done === undefined) return;
    // Settles once the outcome's write is under way in #settling, which a
    // draining stop waits for next: not adopting the write's promise spares
    // every message a promise.
    running = true;
    this.#running.set(key, { held, done });
  }

  /** Handles a finished handler's outcome; not for one abandoned by a stop without drain. */
  #settle(key: string, held: HeldMessage, outcome: HandlerOutcome): void {
    const { deliveryCount } = held.message;
    if (!outcome.ok) {
      if (deliveryCount >= this.#spec.maxDeliveries) {
        void this.#deadLetter(held, {
          reason: 'max-deliveries',
          error: outcome.error,
          deliveryCount,
        });
      } else {
        this.#retrying.schedule(key, held);
      }
    } else if (outcome.poison !== undefined) {
      const { reason, error } = outcome.poison;
      void this.#deadLetter(held, { reason, error, deliveryCount });
    } else {
      void this.#settling.write(held, () => this.#commands.ack(held), key);
    }
    this.#pump();
    this.#slots.wake();
  }

  #deadLetter(held: HeldMessage, cause: DeadLetterCause): Promise<void> {
    return this.#settling.write(held, () => this.#commands.deadLetter(held, cause));
  }
}
