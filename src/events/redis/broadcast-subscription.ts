import { delay, raceAbort } from '../../internal/abort.js';
import { MAX_TIMER_MS } from '../../internal/options.js';
import { errorText, invokeHandler } from '../handler-outcome.js';
import type {
  MessageHandler,
  SubscriptionSpec,
  TransportMessage,
  TransportSubscription,
} from '../transport.js';
import { redisBackoffMs, type SubscriptionHost } from './held-message.js';
import { PAYLOAD_FIELD } from './keys.js';
import { BlockingReader } from './blocking-reader.js';
import { ReadOutage } from './read-outage.js';
import { parseEntries, parseReadReply, type StreamEntry } from './stream-reply.js';

/**
 * A broadcast subscriber on Redis: reads the topics' streams without a
 * consumer group (`XREAD`), from the last entry at the time it subscribed,
 * on a connection of its own. Every live subscriber sees every entry, and the
 * same streams serve durable groups, so publishers need not know who listens.
 *
 * Best effort: a failed handler is logged, not retried; nothing is kept for a
 * subscriber that is not running; a subscriber that falls further behind
 * than the stream's `maxLen` misses what was trimmed. After a dropped
 * connection it resumes where it was, so an outage loses nothing Redis kept.
 */
export class BroadcastSubscription implements TransportSubscription {
  readonly #spec: SubscriptionSpec;
  readonly #handler: MessageHandler;
  readonly #host: SubscriptionHost;
  readonly #reader: BlockingReader;
  readonly #outage: ReadOutage;
  /** Where each stream is read from next, by key. */
  readonly #positions = new Map<string, string>();
  readonly #topicOf = new Map<string, string>();
  readonly #running = new Set<Promise<void>>();
  readonly #handlers = new AbortController();
  readonly #halt = new AbortController();
  #loop: Promise<void> = Promise.resolve();
  #slotFreed: (() => void) | undefined;
  #stopping: Promise<void> | undefined;

  private constructor(spec: SubscriptionSpec, handler: MessageHandler, host: SubscriptionHost) {
    this.#spec = spec;
    this.#handler = handler;
    this.#host = host;
    for (const topic of spec.topics) this.#topicOf.set(host.keys.stream(topic), topic);
    this.#outage = new ReadOutage(spec, host.options.logger);
    this.#reader = new BlockingReader(
      host.link,
      this.#outage,
      host.options.blockMs + host.options.commandTimeoutMs,
    );
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
        const [last] = parseEntries(
          await host.link.call('subscribe', ['XREVRANGE', key, '+', '-', 'COUNT', 1]),
        );
        subscription.#positions.set(key, last?.id ?? '0-0');
      }
    } catch (error) {
      await subscription.#reader.close(host.options.commandTimeoutMs);
      throw error;
    }
    subscription.#loop = subscription.#readLoop();
    return subscription;
  }

  stats(): { readonly inFlight: number; readonly pending: number } {
    return { inFlight: this.#running.size, pending: 0 };
  }

  stop(options: { readonly drain?: boolean; readonly signal?: AbortSignal } = {}): Promise<void> {
    this.#stopping ??= this.#stop(options.drain ?? true, options.signal);
    return this.#stopping;
  }

  async #stop(drain: boolean, signal: AbortSignal | undefined): Promise<void> {
    this.#halt.abort();
    this.#slotFreed?.();
    await this.#reader.interrupt(this.#loop);
    try {
      if (drain) {
        const all = Promise.all(this.#running);
        await (signal === undefined ? all : raceAbort(all, signal));
      }
    } finally {
      this.#handlers.abort();
      await this.#reader.close(this.#host.options.commandTimeoutMs);
      this.#host.onStopped();
    }
  }

  // A method, not a getter: TypeScript would keep a narrowed value across awaits.
  #stopped(): boolean {
    return this.#halt.signal.aborted;
  }

  async #readLoop(): Promise<void> {
    const logger = this.#host.options.logger;
    while (!this.#stopped()) {
      const free = this.#spec.concurrency - this.#running.size;
      if (free <= 0) {
        await new Promise<void>((resolve) => {
          this.#slotFreed = resolve;
        });
        this.#slotFreed = undefined;
        continue;
      }
      try {
        const reply = await this.#read(Math.ceil(free / this.#positions.size));
        this.#outage.succeeded();
        if (this.#stopped()) return;
        for (const [key, entries] of reply) {
          const topic = this.#topicOf.get(key);
          if (topic === undefined) continue;
          for (const entry of entries) {
            this.#positions.set(key, entry.id);
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
        const failures = this.#outage.failed();
        this.#host.link.noteError(error);
        logger.warn(
          { consumer: this.#spec.consumer, failures, error: errorText(error) },
          'broadcast read failed; retrying',
        );
        await delay(redisBackoffMs(failures), this.#halt.signal).catch(() => undefined);
      }
    }
  }

  async #read(count: number): Promise<Map<string, StreamEntry[]>> {
    const keys = [...this.#positions.keys()];
    const reply = await this.#reader.read('XREAD', [
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
    const done: Promise<void> = invokeHandler(this.#handler, message, this.#handlers.signal).then(
      (outcome) => {
        this.#running.delete(done);
        if (!outcome.ok) {
          this.#host.options.logger.warn(
            { topic: message.topic, id: message.id, error: errorText(outcome.error) },
            'broadcast handler failed (not retried)',
          );
        }
        this.#slotFreed?.();
      },
    );
    this.#running.add(done);
  }
}
