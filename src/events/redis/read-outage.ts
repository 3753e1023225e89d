import type { Logger } from '../../logger.js';
import { errorText } from '../handler-outcome.js';
import type { SubscriptionSpec } from '../transport.js';

/**
 * Counts a read loop's consecutive failures, and reports the end of an
 * outage (to the log and the spec's `onReconnected`) when a read succeeds
 * again, and a vanished consumer group (to the log and the spec's
 * `onPossibleDataLoss`) once per outage.
 */
export class ReadOutage {
  readonly #spec: SubscriptionSpec;
  readonly #logger: Logger;
  readonly #onResumed: () => void;
  #failures = 0;
  #since = 0;
  /** A vanished group was reported and no read has succeeded since. */
  #lossReported = false;

  /** @param onResumed - called first whenever an outage ends (the subscription's own follow-up). */
  constructor(spec: SubscriptionSpec, logger: Logger, onResumed: () => void = () => undefined) {
    this.#spec = spec;
    this.#logger = logger;
    this.#onResumed = onResumed;
  }

  /** No read has failed since the last one that succeeded. */
  get ok(): boolean {
    return this.#failures === 0;
  }

  /** A read failed; returns how many in a row. */
  failed(): number {
    if (this.#failures === 0) this.#since = Date.now();
    this.#failures += 1;
    return this.#failures;
  }

  succeeded(): void {
    this.#lossReported = false;
    if (this.#failures === 0) return;
    const info = { failures: this.#failures, downMs: Date.now() - this.#since };
    this.#failures = 0;
    this.#onResumed();
    this.#logger.info({ group: this.#spec.group, ...info }, 'event stream reads resumed');
    try {
      this.#spec.onReconnected?.(info);
    } catch (error) {
      this.#logger.warn({ error: errorText(error) }, 'onReconnected threw');
    }
  }

  /**
   * The group is gone, and with it what Redis knew of this group's reads:
   * Redis lost data (a restart without persistence) or someone deleted the
   * stream or group. Reported once until a read succeeds again, however many
   * attempts the recovery takes.
   */
  groupLost(): void {
    if (this.#lossReported) return;
    this.#lossReported = true;
    const { group, topics } = this.#spec;
    const reason =
      'the consumer group vanished (Redis restarted without persistence, or the stream or group was deleted)';
    this.#logger.error({ group, topics }, `possible data loss: ${reason}; re-creating the group`);
    try {
      this.#spec.onPossibleDataLoss?.({ topics, reason });
    } catch (error) {
      this.#logger.warn({ error: errorText(error) }, 'onPossibleDataLoss threw');
    }
  }
}
