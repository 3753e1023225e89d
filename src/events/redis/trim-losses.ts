import type { Logger } from '../../logger.js';
import { errorText } from '../handler-outcome.js';
import type { SubscriptionSpec } from '../transport.js';

/**
 * Counts and reports events a subscription lost to stream trimming
 * (`maxLen`), so retention is never silent. Durable: those its group never
 * read (found by the lag check, once per group) and those a dead consumer
 * held when they were trimmed (found by whichever consumer takes them over).
 * Broadcast: those the subscriber itself never read (see `MissedEntries`).
 */
export class TrimLosses {
  readonly #spec: SubscriptionSpec;
  readonly #logger: Logger;
  readonly #before: string;
  #total = 0;

  /** @param before - who did not get to the events, for the log: `group "billing" acknowledged them`. */
  constructor(spec: SubscriptionSpec, logger: Logger, before: string) {
    this.#spec = spec;
    this.#logger = logger;
    this.#before = before;
  }

  /** Events this subscription has reported lost to trimming. */
  get total(): number {
    return this.#total;
  }

  found(topic: string, counts: { readonly unread?: number; readonly pending?: number }): void {
    const unread = counts.unread ?? 0;
    const pending = counts.pending ?? 0;
    if (unread + pending <= 0) return;
    this.#total += unread + pending;
    const { group, consumer } = this.#spec;
    this.#logger.error(
      { group, consumer, topic, unread, pending },
      `lost ${unread + pending} event(s) of topic "${topic}" to stream trimming (maxLen) before ${this.#before}`,
    );
    try {
      this.#spec.onTrimmed?.({ topic, unread, pending });
    } catch (error) {
      this.#logger.warn({ error: errorText(error) }, 'onTrimmed threw');
    }
  }
}
