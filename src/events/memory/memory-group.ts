import type { DeadLetter, PoisonVerdict, StartPosition, SubscriptionSpec } from '../transport.js';
import { MAX_TIMER_MS } from '../../internal/options.js';
import { errorText } from '../handler-outcome.js';
import type { TimerSet } from '../../internal/timer-set.js';
import type { LogEntry, TopicLog } from './topic-log.js';

/** A message delivered to a group and not yet acknowledged. */
export type PendingEntry = {
  readonly entry: LogEntry;
  /** Deliveries so far; the next delivery gets `deliveryCount + 1`. */
  deliveryCount: number;
};

/** A consumer as a group sees it: a subscription with handler slots. */
export type GroupConsumer = {
  hasFreeSlot(): boolean;
  /** Starts the handler for `pending` now (takes a slot synchronously). */
  run(group: MemoryGroup, pending: PendingEntry): void;
};

/** What a group needs from its transport. */
export type GroupHost = {
  readonly timers: TimerSet;
  isClosed(): boolean;
  deadLetter(letter: Omit<DeadLetter, 'id' | 'failedAt'>): void;
  /** Called when entries stop being needed by this group, so the log can be trimmed. */
  released(topic: string): void;
  warn(context: Record<string, unknown>, message: string): void;
};

/**
 * One consumer group on one topic: a cursor into the topic's log, the
 * messages delivered but not acknowledged, and the consumers that share them.
 * Each message goes to one consumer with a free slot (round-robin); a failed
 * one waits for its retry delay in a timer, so the messages behind it keep
 * flowing.
 */
export class MemoryGroup {
  readonly name: string;
  readonly log: TopicLog;
  readonly #host: GroupHost;
  /** Seq of the last entry handed out from the log. */
  #cursor: number;
  readonly #pending = new Map<number, PendingEntry>();
  /** Pending entries due for (re)delivery: retries whose delay passed, claimed or redriven ones. */
  readonly #ready: PendingEntry[] = [];
  readonly #consumers: GroupConsumer[] = [];
  #next = 0;
  #scheduled = false;

  constructor(name: string, log: TopicLog, host: GroupHost, start: StartPosition) {
    this.name = name;
    this.log = log;
    this.#host = host;
    this.#cursor =
      start === 'latest' ? log.lastSeq : start === 'earliest' ? 0 : Number(start.afterId);
  }

  get pendingCount(): number {
    return this.#pending.size;
  }

  /** Entries in the log this group has not read yet. */
  get lag(): number {
    return Math.max(0, this.log.lastSeq - Math.max(this.#cursor, this.log.firstSeq - 1));
  }

  /** The oldest seq this group still needs in the log. */
  keepFrom(): number {
    let min = this.#cursor + 1;
    for (const seq of this.#pending.keys()) if (seq < min) min = seq;
    return min;
  }

  add(consumer: GroupConsumer): void {
    this.#consumers.push(consumer);
    this.wake();
  }

  remove(consumer: GroupConsumer): void {
    const index = this.#consumers.indexOf(consumer);
    if (index !== -1) this.#consumers.splice(index, 1);
  }

  /**
   * Hands out work on a later microtask: never inside `publish()` (a handler
   * that publishes must not re-enter), and once for a burst of wake-ups.
   */
  readonly wake = (): void => {
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      this.#pump();
    });
  };

  ack(pending: PendingEntry): void {
    if (this.#pending.get(pending.entry.seq) !== pending) return;
    this.#pending.delete(pending.entry.seq);
    this.#host.released(this.log.topic);
  }

  /** A failed delivery: retried after the spec's delay, or dead-lettered after `maxDeliveries`. */
  fail(pending: PendingEntry, error: unknown, spec: SubscriptionSpec): void {
    if (pending.deliveryCount >= spec.maxDeliveries) {
      this.deadLetter(pending, 'max-deliveries', error);
      return;
    }
    this.#later(pending, this.#retryDelay(spec, pending.deliveryCount));
  }

  poison(pending: PendingEntry, verdict: PoisonVerdict): void {
    this.deadLetter(pending, verdict.reason, verdict.error);
  }

  deadLetter(pending: PendingEntry, reason: string, error: unknown): void {
    const { entry, deliveryCount } = pending;
    this.#host.deadLetter({
      topic: entry.topic,
      group: this.name,
      messageId: entry.id,
      payload: entry.payload,
      reason,
      error: errorText(error),
      deliveryCount,
    });
    this.ack(pending);
  }

  /** A message whose consumer stopped without draining: another consumer takes it after `claimIdleMs`. */
  abandon(pending: PendingEntry, claimIdleMs: number): void {
    this.#later(pending, claimIdleMs);
  }

  /** Puts a dead-lettered message back as a fresh pending entry (`deliveryCount` starts again at 1). */
  requeue(entry: LogEntry): boolean {
    if (this.#pending.has(entry.seq)) return false;
    const pending: PendingEntry = { entry, deliveryCount: 0 };
    this.#pending.set(entry.seq, pending);
    this.#ready.push(pending);
    this.wake();
    return true;
  }

  #later(pending: PendingEntry, ms: number): void {
    this.#host.timers.after(ms, () => {
      if (this.#pending.get(pending.entry.seq) !== pending) return;
      this.#ready.push(pending);
      this.wake();
    });
  }

  #retryDelay(spec: SubscriptionSpec, deliveryCount: number): number {
    try {
      const ms = spec.retryDelayMs(deliveryCount);
      return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), MAX_TIMER_MS) : 0;
    } catch (error) {
      this.#host.warn(
        { group: this.name, error: errorText(error) },
        'retryDelayMs threw; retrying now',
      );
      return 0;
    }
  }

  #pump(): void {
    if (this.#host.isClosed()) return;
    for (;;) {
      const consumer = this.#freeConsumer();
      if (consumer === undefined) return;
      const pending = this.#takeWork();
      if (pending === undefined) return;
      pending.deliveryCount += 1;
      consumer.run(this, pending);
    }
  }

  #freeConsumer(): GroupConsumer | undefined {
    const count = this.#consumers.length;
    for (let i = 0; i < count; i++) {
      const index = (this.#next + i) % count;
      const consumer = this.#consumers[index];
      if (consumer?.hasFreeSlot() === true) {
        this.#next = index + 1;
        return consumer;
      }
    }
    return undefined;
  }

  #takeWork(): PendingEntry | undefined {
    const ready = this.#ready.shift();
    if (ready !== undefined) return ready;
    // An `afterId` older than the log's start skips what was trimmed.
    const seq = Math.max(this.#cursor + 1, this.log.firstSeq);
    const entry = this.log.at(seq);
    if (entry === undefined) return undefined;
    this.#cursor = seq;
    const pending: PendingEntry = { entry, deliveryCount: 0 };
    this.#pending.set(seq, pending);
    return pending;
  }
}
