import { MAX_TIMER_MS } from '../../internal/options.js';
import { TimerSet } from '../../internal/timer-set.js';
import { errorText } from '../handler-outcome.js';
import type { ConsumerCore } from './consumer-core.js';
import { redisBackoffMs, type HeldMessage } from './held-message.js';
import type { StreamEntry } from './stream-reply.js';

/**
 * Messages whose handler failed, each waiting out its retry delay in a
 * timer without holding up the messages behind it, then re-claimed with
 * `XCLAIM` so Redis counts the delivery (the count survives a crash). They
 * stay in the group's pending list meanwhile, their lease renewed like every
 * message the consumer holds.
 */
export class RetryQueue {
  readonly #host: ConsumerCore;
  readonly #waiting = new Map<string, HeldMessage>();
  readonly #timers = new TimerSet();

  constructor(host: ConsumerCore) {
    this.#host = host;
  }

  get size(): number {
    return this.#waiting.size;
  }

  has(key: string): boolean {
    return this.#waiting.has(key);
  }

  values(): Iterable<HeldMessage> {
    return this.#waiting.values();
  }

  /** Retries `held` (whose handler just failed) after the spec's delay for its delivery count. */
  schedule(key: string, held: HeldMessage): void {
    this.#after(key, held, this.#delay(held.message.deliveryCount));
  }

  /** Stopping: what waits stays pending, taken over after `claimIdleMs`. */
  clear(): void {
    this.#timers.clear();
    this.#waiting.clear();
  }

  #after(key: string, held: HeldMessage, ms: number): void {
    // Stopping: no timer may outlive the subscription.
    if (this.#host.stopped()) return;
    this.#waiting.set(key, held);
    this.#timers.after(ms, () => {
      this.#host.inBackground(this.#retry(key, held));
    });
  }

  async #retry(key: string, held: HeldMessage): Promise<void> {
    const host = this.#host;
    if (host.stopped() || this.#waiting.get(key) !== held) return;
    let entry: StreamEntry | undefined;
    try {
      entry = await host.commands.reclaim(held);
    } catch (error) {
      host.link.noteError(error);
      if (!host.stopped()) this.#after(key, held, redisBackoffMs(1));
      return;
    }
    this.#waiting.delete(key);
    if (entry === undefined) {
      // Gone from the group: acknowledged elsewhere, or trimmed from the stream.
      await this.#countIfTrimmed(held);
      return;
    }
    if (host.abandoned()) return;
    host.admit(held.stream, entry, held.message.deliveryCount + 1);
    host.pump();
  }

  /** A held message that left the group while it waited for a retry: was it trimmed? */
  async #countIfTrimmed({ stream, entryId }: HeldMessage): Promise<void> {
    if (stream.redrive) return;
    try {
      if (!(await this.#host.commands.exists(stream, entryId))) {
        this.#host.trimLosses.found(stream.topic, { pending: 1 });
      }
    } catch (error) {
      this.#host.link.noteError(error);
    }
  }

  #delay(deliveryCount: number): number {
    const { spec, logger } = this.#host;
    try {
      const ms = spec.retryDelayMs(deliveryCount);
      return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), MAX_TIMER_MS) : 0;
    } catch (error) {
      logger.warn(
        { group: spec.group, error: errorText(error) },
        'retryDelayMs threw; retrying now',
      );
      return 0;
    }
  }
}
