import { raceAbort } from '../../internal/abort.js';
import type { Mitt } from '../../internal/mitt.js';
import type { Logger } from '../../logger.js';
import type { MessageHandler, SubscriptionSpec, TransportSubscription } from '../transport.js';
import { errorText, invokeHandler } from '../handler-outcome.js';
import { BROADCAST_QUEUE_LIMIT } from './memory-options.js';
import type { LogEntry } from './topic-log.js';

/**
 * One broadcast subscriber: gets every message published on its topics while
 * it is subscribed, at most `concurrency` handlers at a time. Best effort:
 * a failed handler is logged, not retried; past {@link BROADCAST_QUEUE_LIMIT}
 * waiting messages, new ones are dropped with a warning; messages still
 * queued when it stops are dropped.
 */
export class BroadcastSubscription implements TransportSubscription {
  readonly #spec: SubscriptionSpec;
  readonly #handler: MessageHandler;
  readonly #emitter: Mitt<Record<string, LogEntry>>;
  readonly #logger: Logger;
  readonly #onStopped: () => void;
  readonly #queue: LogEntry[] = [];
  readonly #running = new Set<Promise<void>>();
  readonly #controller = new AbortController();
  /** Handlers running or about to start (a start waits for a microtask). */
  #active = 0;
  #stopping: Promise<void> | undefined;

  constructor(
    spec: SubscriptionSpec,
    handler: MessageHandler,
    emitter: Mitt<Record<string, LogEntry>>,
    logger: Logger,
    onStopped: () => void,
  ) {
    this.#spec = spec;
    this.#handler = handler;
    this.#emitter = emitter;
    this.#logger = logger;
    this.#onStopped = onStopped;
    for (const topic of spec.topics) emitter.on(topic, this.#receive);
  }

  stats(): { readonly inFlight: number; readonly pending: number } {
    return { inFlight: this.#running.size, pending: this.#queue.length };
  }

  stop(options: { readonly drain?: boolean; readonly signal?: AbortSignal } = {}): Promise<void> {
    this.#stopping ??= this.#stop(options.drain ?? true, options.signal);
    return this.#stopping;
  }

  async #stop(drain: boolean, signal: AbortSignal | undefined): Promise<void> {
    for (const topic of this.#spec.topics) this.#emitter.off(topic, this.#receive);
    this.#queue.length = 0;
    try {
      if (drain) {
        const running = Promise.all(this.#running);
        await (signal === undefined ? running : raceAbort(running, signal));
      }
    } finally {
      this.#controller.abort();
      this.#onStopped();
    }
  }

  readonly #receive = (entry: LogEntry): void => {
    if (this.#stopping !== undefined) return;
    if (this.#active < this.#spec.concurrency) {
      this.#active += 1;
      // Never run a handler inside `publish()`.
      queueMicrotask(() => {
        this.#run(entry);
      });
    } else if (this.#queue.length < BROADCAST_QUEUE_LIMIT) {
      this.#queue.push(entry);
    } else {
      this.#logger.warn(
        { topic: entry.topic, id: entry.id, consumer: this.#spec.consumer },
        `broadcast subscriber busy: ${BROADCAST_QUEUE_LIMIT} messages queued, message dropped`,
      );
    }
  };

  /** Runs `first`, then what queued behind it, while handlers finish at once. */
  #run(first: LogEntry): void {
    let entry: LogEntry | undefined = first;
    while (entry !== undefined) {
      if (this.#stopping !== undefined) {
        this.#active -= 1;
        return;
      }
      const current: LogEntry = entry;
      const message = {
        id: current.id,
        topic: current.topic,
        payload: current.payload,
        deliveryCount: 1,
      };
      let later = false;
      const done = invokeHandler(this.#handler, message, this.#controller.signal, (outcome) => {
        this.#active -= 1;
        if (!outcome.ok) {
          this.#logger.warn(
            { topic: current.topic, id: current.id, error: errorText(outcome.error) },
            'broadcast handler failed (not retried)',
          );
        }
        // Finished later: start the next one here (at once, the loop does).
        if (!later) return;
        this.#running.delete(done as Promise<void>);
        const next = this.#next();
        if (next !== undefined) this.#run(next);
      });
      // Finished at once (ADR 0024): the next one, in this loop, not a recursion.
      if (done === undefined) {
        entry = this.#next();
        continue;
      }
      later = true;
      this.#running.add(done);
      return;
    }
  }

  /** The next queued message, its slot taken; none once stopping. */
  #next(): LogEntry | undefined {
    const next = this.#stopping === undefined ? this.#queue.shift() : undefined;
    if (next !== undefined) this.#active += 1;
    return next;
  }
}
