/** The inputs of {@link backoffDelay}. */
export type BackoffOptions = {
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly factor: number;
  readonly jitter: 'full' | 'none';
};

/**
 * The wait after failed attempt `failedAttempt` (1-based): the cap grows as
 * `baseDelayMs × factor^(failedAttempt − 1)` up to `maxDelayMs`, and full
 * jitter picks uniformly in [0, cap) so clients that failed together spread out.
 */
export function backoffDelay(failedAttempt: number, options: BackoffOptions): number {
  // With no base there is no backoff: 0 × factor^n would be NaN once factor^n overflows to Infinity.
  if (options.baseDelayMs === 0) return 0;
  const cap = Math.min(
    options.maxDelayMs,
    options.baseDelayMs * options.factor ** (failedAttempt - 1),
  );
  return options.jitter === 'full' ? Math.floor(Math.random() * cap) : cap;
}

/**
 * The `retryAfterMs` an error carries (a `Retry-After` header, an open
 * breaker's reset time), when it is a non-negative number.
 */
export function retryAfterOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const value = (error as { retryAfterMs?: unknown }).retryAfterMs;
  return typeof value === 'number' && value >= 0 ? value : undefined;
}
