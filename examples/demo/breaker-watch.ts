import { setTimeout as sleep } from 'node:timers/promises';
import type { DemoStack } from './demo-stack.js';
import type { Timeline } from './timeline.js';

type State = 'closed' | 'open' | 'half-open';

/**
 * Follows the product service's breaker for the auth service through the
 * stack's transitions, prints each one in the timeline, and tells the
 * scenario its state and when it lets the next probe through. From separate
 * processes the transitions come from the product service's log, a moment
 * after the answer that caused them: {@link BreakerWatch.until} waits for them.
 */
export class BreakerWatch {
  #state: State = 'closed';
  #nextProbeAt: number | undefined;

  constructor(stack: DemoStack, timeline: Timeline) {
    stack.onAuthBreaker((event) => {
      switch (event.kind) {
        case 'open':
          this.#state = 'open';
          this.#nextProbeAt = Date.now() + event.retryAfterMs;
          timeline.later(
            `⚡ breaker ${event.breaker} opened: calls fail fast for ${Math.round(event.retryAfterMs)} ms`,
          );
          break;
        case 'half-open':
          this.#state = 'half-open';
          timeline.later(`⚡ breaker ${event.breaker} half-open: one probe goes through`);
          break;
        case 'close':
          this.#state = 'closed';
          timeline.later(`⚡ breaker ${event.breaker} closed: the probe succeeded`);
          break;
      }
    });
  }

  get state(): State {
    return this.#state;
  }

  /** How long until the open breaker lets a probe through (0 when it already would). */
  nextProbeInMs(): number {
    return Math.max(0, (this.#nextProbeAt ?? 0) - Date.now());
  }

  /** Resolves once the breaker is in `state`; throws after `timeoutMs`. */
  async until(state: State, timeoutMs = 3_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.#state !== state) {
      if (Date.now() > deadline) {
        throw new Error(`expected the auth breaker ${state}, it is ${this.#state}`);
      }
      await sleep(10);
    }
  }
}
