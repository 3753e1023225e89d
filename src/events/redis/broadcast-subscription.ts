import { delay, raceAbort } from '../../internal/abort.js';
import { MAX_TIMER_MS } from '../../internal/options.js';
import { errorText, invokeHandler } from '../handler-outcome.js';
import type {
  MessageHandler,
  SubscriptionSpec,
  SubscriptionStats,
  TransportMessage,
  TransportSubscription,
} from '../transport.js';
import { redisBackoffMs, type SubscriptionHost } from './held-message.js';
import { PAYLOAD_FIELD } from './keys.js';
import { BlockingReader } from './blocking-reader.js';
import { MissedEntries } from './missed-entries.js';
import { readLanes } from './read-lanes.js';
import { ReadOutage } from './read-outage.js';
import { ReadSlots } from './read-slots.js';
import { TrimLosses } from './trim-losses.js';
import { parseReadReply, type StreamEntry } from './stream-reply.js';

/**
 * A broadcast subscriber on Redis: reads the topics' streams without a
 * consumer group (`XREAD`), from the last entry at the time it subscribed,
 * on a connection of its own. Every live subscriber sees every entry, and the
 * same streams serve durable groups, so publishers need not know who listens.
 *
 * Best effort: a failed handler is logged, not retried; nothing is kept for a
 * subscriber that is not running. After a dropped or silent connection it
 * reconnects by itself and resumes after the last entry it read, so an outage
 * loses nothing the stream still holds. What it misses because trimming
 * (`maxLen`) removed entries before it read them, during an outage or while
 * it lags, is counted and reported as trimmed (`onTrimmed`, `stats().trimmed`)
 * after each reconnection and at each housekeeping round (every
 * `claimIdleMs / 2`), at the latest once it catches up (ADR 0020).
 */
/** One blocking read loop: every topic on a single Redis, one topic on a cluster. */
type Lane = {
  readonly keys: readonly string[];
  readonly reader: BlockingReader;
  readonly outage: ReadOutage;
  loop: Promise<void>;
};

export class BroadcastSubscription implements TransportSubscription {
  readonly #spec: SubscriptionSpec;
  readonly #handler: MessageHandler;
  readonly #host: SubscriptionHost;
  readonly #lanes: readonly Lane[];
  readonly #slots: ReadSlots;
  readonly #missed: MissedEntries;
  readonly #trimLosses: TrimLosses;
  /** Set by a reconnection or a housekeeping round: count what was missed before the next read. */
  #checkDue = false;
  #housekeeping: ReturnType<typeof setInterval> | undefined;
  /** Where each stream is read from next, by key. */
  readonly #positions = new Map<string, string>();
  readonly #topicOf = new Map<string, string>();
  readonly #running = new Set<Promise<void>>();
  readonly #handlers = new AbortController();
  readonly #halt = new AbortController();
  #stopping: Promise<void> | undefined;

  private constructor(spec: SubscriptionSpec, handler: MessageHandler, host: SubscriptionHost) {
    this.#spec = spec;
    this.#handler = handler;
    this.#host = host;
    for (const topic of spec.topics) this.#topicOf.set(host.keys.stream(topic), topic);
    this.#missed = new MissedEntries(host.link);
    this.#trimLosses = new TrimLosses(
      spec,
      host.options.logger,
      `broadcast subscriber "${spec.consumer}" read them`,
    );
    const keys = [...this.#topicOf.keys()].map((key) => ({ key }));
    this.#lanes = readLanes(host.link.client, keys).map((lane) => {
      // After any outage, count what trimming removed meanwhile.
      const outage = new ReadOutage(spec, host.options.logger, () => {
        this.#checkDue = true;
      });
      const silentAfterMs = host.options.blockMs + host.options.commandTimeoutMs;
      const reader = new BlockingReader(host.link, outage, silentAfterMs);
      return { keys: lane.map(({ key }) => key), reader, outage, loop: Promise.resolve() };
    });
    this.#slots = new ReadSlots(() => spec.concurrency - this.#running.size, this.#lanes.length);
  }

  /** Finds where each stream ends now, then starts reading from there. */
  static async start(
    spec: SubscriptionSpec,
    handler: MessageHandler,
    host: SubscriptionHost,
  ): Promise<BroadcastSubscription> {
    const subscription = new BroadcastSubscription(spec, handler, host);
    try {
      for (const key of subscription.#topicOf.keys()) {
        subscription.#positions.set(key, await subscription.#missed.start(key));
      }
    } catch (error) {
      await subscription.#closeReaders();
      throw error;
    }
    const round = setInterval(
      () => {
        subscription.#checkDue = true;
      },
      Math.max(10, spec.claimIdleMs / 2),
    );
    round.unref();
    subscription.#housekeeping = round;
    for (const lane of subscription.#lanes) lane.loop = subscription.#readLoop(lane);
    return subscription;
  }

  stats(): SubscriptionStats {
    return {
      inFlight: this.#running.size,
      pending: 0,
      connected: this.#host.link.connected && this.#lanes.every((lane) => lane.outage.ok),
      trimmed: this.#trimLosses.total,
    };
  }

  stop(options: { readonly drain?: boolean; readonly signal?: AbortSignal } = {}): Promise<void> {
    this.#stopping ??= this.#stop(options.drain ?? true, options.signal);
    return this.#stopping;
  }

  async #stop(drain: boolean, signal: AbortSignal | undefined): Promise<void> {
    this.#halt.abort();
    clearInterval(this.#housekeeping);
    this.#slots.wake();
    await Promise.all(this.#lanes.map((lane) => lane.reader.interrupt(lane.loop)));
    try {
      if (drain) {
        const all = Promise.all(this.#running);
        await (signal === undefined ? all : raceAbort(all, signal));
      }
    } finally {
      this.#handlers.abort();
      await this.#closeReaders();
      this.#host.onStopped();
    }
  }

  async #closeReaders(): Promise<void> {
    const timeoutMs = this.#host.options.commandTimeoutMs;
    await Promise.all(this.#lanes.map((lane) => lane.reader.close(timeoutMs)));
  }

  // A method, not a getter: TypeScript would keep a narrowed value across awaits.
  #stopped(): boolean {
    return this.#halt.signal.aborted;
  }

  async #readLoop(lane: Lane): Promise<void> {
    const logger = this.#host.options.logger;
    while (!this.#stopped()) {
      if (this.#slots.available() <= 0) {
        await this.#slots.wait();
        continue;
      }
      const share = this.#slots.take();
      let failures = 0;
      try {
        if (this.#checkDue) await this.#countMissed();
        const reply = await this.#read(lane, Math.ceil(share / lane.keys.length));
        lane.outage.succeeded();
        if (this.#stopped()) return;
        for (const [key, entries] of reply) {
          const topic = this.#topicOf.get(key);
          if (topic === undefined) continue;
          for (const entry of entries) {
            this.#positions.set(key, entry.id);
            this.#missed.read(key);
            const payload = entry.fields?.get(PAYLOAD_FIELD);
            if (payload === undefined) continue;
            const message = { id: entry.id, topic, payload, deliveryCount: 1 };
            this.#run(
              entry.invalidText?.has(PAYLOAD_FIELD) === true
                ? { ...message, invalidText: true }
                : message,
            );
          }
        }
      } catch (error) {
        if (this.#stopped()) return;
        failures = lane.outage.failed();
        this.#host.link.noteError(error);
        logger.warn(
          { consumer: this.#spec.consumer, failures, error: errorText(error) },
          'broadcast read failed; retrying',
        );
      } finally {
        this.#slots.release(share);
      }
      if (failures > 0) {
        await delay(redisBackoffMs(failures), this.#halt.signal).catch(() => undefined);
      }
    }
  }

  /** Reports what trimming removed before this subscriber read it; a failed look is tried at the next round. */
  async #countMissed(): Promise<void> {
    this.#checkDue = false;
    for (const [key, position] of this.#positions) {
      try {
        const missed = await this.#missed.check(key, position);
        this.#trimLosses.found(this.#topicOf.get(key) ?? key, { unread: missed });
      } catch (error) {
        this.#host.link.noteError(error);
      }
    }
  }

  async #read(lane: Lane, count: number): Promise<Map<string, StreamEntry[]>> {
    const { keys } = lane;
    const reply = await lane.reader.read('XREAD', [
      'COUNT',
      count,
      'BLOCK',
      Math.min(this.#host.options.blockMs, MAX_TIMER_MS),
      'STREAMS',
      ...keys,
      ...keys.map((key) => this.#positions.get(key) ?? '0-0'),
    ]);
    return parseReadReply(reply);
  }

  #run(message: TransportMessage): void {
    // A handler that finished at once is done inside invokeHandler, never
    // counted as running (ADR 0024).
    let later = false;
    const done = invokeHandler(this.#handler, message, this.#handlers.signal, (outcome) => {
      if (later) this.#running.delete(done as Promise<void>);
      if (!outcome.ok) {
        this.#host.options.logger.warn(
          { topic: message.topic, id: message.id, error: errorText(outcome.error) },
          'broadcast handler failed (not retried)',
        );
      }
      this.#slots.wake();
    });
    if (done === undefined) return;
    later = true;
    this.#running.add(done);
  }
}
