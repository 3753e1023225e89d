/**
 * Decides when a closed circuit breaker opens. The breaker feeds it the
 * outcome of every call made while closed; a strategy holds no timers.
 *
 * Write your own to open on any rule you like; pass it as `strategy`.
 */
export type BreakerStrategy = {
  /** A call succeeded while closed. */
  success(): void;
  /** A call failed while closed; return `true` to open the breaker now. */
  failure(): boolean;
  /** Forget all history; called each time the breaker closes. */
  reset(): void;
};
