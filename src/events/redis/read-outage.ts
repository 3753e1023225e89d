import type { Logger } from '../../logger.js';
import { errorText } from '../handler-outcome.js';
import type { SubscriptionSpec } from '../transport.js';

/**
 * Counts a read loop's consecutive failures, and reports the end of an
 * outage (to the log and the spec's `onReconnected`) when a read succeeds again.
 */
export class ReadOutage {
  readonly #spec: SubscriptionSpec;
  readonly #logger: Logger;
  #failures = 0;
  #since = 0;

  constructor(spec: SubscriptionSpec, logger: Logger) {
    this.#spec = spec;
    this.#logger = logger;
  }

  /** A read failed; returns how many in a row. */
  failed(): number {
    if (this.#failures === 0) this.#since = Date.now();
    this.#failures += 1;
    return this.#failures;
  }

  succeeded(): void {
    if (this.#failures === 0) return;
    const info = { failures: this.#failures, downMs: Date.now() - this.#since };
    this.#failures = 0;
    this.#logger.info({ group: this.#spec.group, ...info }, 'event stream reads resumed');
    try {
      this.#spec.onReconnected?.(info);
    } catch (error) {
      this.#logger.warn({ error: errorText(error) }, 'onReconnected threw');
    }
  }
}
