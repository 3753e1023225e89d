/** A transition of the product service's breaker for the auth service. */
export type BreakerEvent =
  | { readonly kind: 'open'; readonly breaker: string; readonly retryAfterMs: number }
  | { readonly kind: 'half-open' | 'close'; readonly breaker: string };

export type ServiceUrls = {
  /** The auth service's origin; its API is under {@link ServiceUrls.authApi}. */
  readonly auth: string;
  readonly authApi: string;
  readonly notifications: string;
  readonly product: string;
};

/**
 * The three services as the scenario sees them, wherever they run: in this
 * process over the in-memory transport (`stack.ts`), or as separate processes
 * over Redis Streams (`process-stack.ts`).
 */
export type DemoStack = {
  /** How they run, for the timeline's first line. */
  readonly title: string;
  /** More lines for the header (where Redis is, …). */
  readonly details: readonly string[];
  readonly urls: ServiceUrls;
  /** The administrator the auth service was started with. */
  readonly admin: { readonly email: string; readonly password: string };
  /** The breaker settings of the product and notifications services. */
  readonly breaker: { readonly failureThreshold: number; readonly resetTimeoutMs: number };
  /** Every transition of the product service's breaker for the auth service. */
  onAuthBreaker(listener: (event: BreakerEvent) => void): void;
  /** Takes the auth service down; resolves with what happened, for the timeline. */
  stopAuth(): Promise<string>;
  /** Brings it back on the same address with the same users and signing key. */
  restartAuth(): Promise<string>;
  /**
   * Separate processes only: the notifications service is killed and started
   * again under the same consumer name.
   */
  readonly crash?: {
    killNotifications(): Promise<string>;
    restartNotifications(): Promise<string>;
  };
  /** Stops everything it started. Idempotent. */
  close(): Promise<void>;
};
