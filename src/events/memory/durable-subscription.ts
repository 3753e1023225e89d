import { raceAbort } from '../../internal/abort.js';
import type {
  MessageHandler,
  SubscriptionSpec,
  SubscriptionStats,
  TransportSubscription,
} from '../transport.js';
import { invokeHandler, type HandlerOutcome } from '../handler-outcome.js';
import type { GroupConsumer, MemoryGroup, PendingEntry } from './memory-group.js';

type InFlight = { readonly group: MemoryGroup; readonly done: Promise<void> };

/**
 * One durable consumer: takes a message from its groups only when it has a
 * free handler slot (never buffers more than `concurrency`), acknowledges on
 * success and hands failures back to the group for retry or dead-lettering.
 */
export class DurableSubscription implements TransportSubscription, GroupConsumer {
  readonly #spec: SubscriptionSpec;
  readonly #handler: MessageHandler;
  readonly #groups: readonly MemoryGroup[];
  readonly #onStopped: () => void;
  readonly #inFlight = new Map<PendingEntry, InFlight>();
  readonly #controller = new AbortController();
  #stopping: Promise<void> | undefined;

  constructor(
    spec: SubscriptionSpec,
    handler: MessageHandler,
    groups: readonly MemoryGroup[],
    onStopped: () => void,
  ) {
    this.#spec = spec;
    this.#handler = handler;
    this.#groups = groups;
    this.#onStopped = onStopped;
    for (const group of groups) group.add(this);
  }

  hasFreeSlot(): boolean {
    return this.#stopping === undefined && this.#inFlight.size < this.#spec.concurrency;
  }

  run(group: MemoryGroup, pending: PendingEntry): void {
    const { entry, deliveryCount } = pending;
    const message = { id: entry.id, topic: entry.topic, payload: entry.payload, deliveryCount };
    // A handler that finished at once is settled inside invokeHandler, and
    // never counted in flight (ADR 0024).
    let inFlight = false;
    const done = invokeHandler(this.#handler, message, this.#controller.signal, (outcome) => {
      // Abandoned (stopped without drain): the message stays pending for another consumer.
      if (inFlight && !this.#inFlight.delete(pending)) return;
      this.#settle(group, pending, outcome);
    });
    if (done === undefined) return;
    inFlight = true;
    this.#inFlight.set(pending, { group, done });
  }

  stats(): SubscriptionStats {
    let pending = 0;
    let lag = 0;
    for (const group of this.#groups) {
      pending += group.pendingCount;
      lag += group.lag;
    }
    return { inFlight: this.#inFlight.size, pending, lag };
  }

  stop(options: { readonly drain?: boolean; readonly signal?: AbortSignal } = {}): Promise<void> {
    this.#stopping ??= this.#stop(options.drain ?? true, options.signal);
    return this.#stopping;
  }

  async #stop(drain: boolean, signal: AbortSignal | undefined): Promise<void> {
    for (const group of this.#groups) group.remove(this);
    try {
      if (drain) {
        const running = Promise.all([...this.#inFlight.values()].map(({ done }) => done));
        await (signal === undefined ? running : raceAbort(running, signal));
      }
    } finally {
      // Without drain, or when the caller gave up waiting: what still runs is abandoned.
      this.#abandon();
      this.#onStopped();
    }
  }

  #abandon(): void {
    this.#controller.abort();
    for (const [pending, { group }] of this.#inFlight) {
      group.abandon(pending, this.#spec.claimIdleMs);
    }
    this.#inFlight.clear();
  }

  #settle(group: MemoryGroup, pending: PendingEntry, outcome: HandlerOutcome): void {
    if (!outcome.ok) group.fail(pending, outcome.error, this.#spec);
    else if (outcome.poison !== undefined) group.poison(pending, outcome.poison);
    else group.ack(pending);
    for (const each of this.#groups) each.wake();
  }
}
