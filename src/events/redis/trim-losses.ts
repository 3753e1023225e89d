import type { Logger } from '../../logger.js';
import { errorText } from '../handler-outcome.js';
import type { SubscriptionSpec } from '../transport.js';

/**
 * Counts and reports events a group lost to stream trimming (`maxLen`), so
 * retention is never silent: those its group never read (found by the lag
 * check, once per group) and those a dead consumer held when they were
 * trimmed (found by whichever consumer takes them over).
 */
export class TrimLosses {
  readonly #spec: SubscriptionSpec;
  readonly #logger: Logger;
  #total = 0;

  constructor(spec: SubscriptionSpec, logger: Logger) {
    this.#spec = spec;
    this.#logger = logger;
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
    const { group } = this.#spec;
    this.#logger.error(
      { group, topic, unread, pending },
      `lost ${unread + pending} event(s) of topic "${topic}" to stream trimming (maxLen) before group "${group}" acknowledged them`,
    );
    try {
      this.#spec.onTrimmed?.({ topic, unread, pending });
    } catch (error) {
      this.#logger.warn({ error: errorText(error) }, 'onTrimmed threw');
    }
  }
}
