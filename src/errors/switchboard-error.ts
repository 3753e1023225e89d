import type { SwitchboardErrorCode } from './error-guards.js';

// A registry-wide symbol, so errors from two copies of the package (a bundler
// mistake, or `npm link`) are still recognised by `isSwitchboardError`.
export const MARKER = Symbol.for('switchboard.error');

/** Options common to every {@link SwitchboardError}. */
export type SwitchboardErrorOptions = {
  /** The underlying error, kept as the standard `cause`. */
  readonly cause?: unknown;
};

/**
 * Base class of every error the library throws.
 *
 * Check for it with {@link isSwitchboardError} rather than `instanceof`, which
 * fails across two copies of the package.
 */
export class SwitchboardError extends Error {
  override readonly name: string = 'SwitchboardError';
  /** A stable, machine-readable code; never changes for a given class. */
  readonly code: SwitchboardErrorCode | (string & {}) = 'SWITCHBOARD_ERROR';
  /**
   * True when the error says the caller was wrong (a bad request), not that
   * the callee is unhealthy: breakers do not count it and retries skip it.
   */
  readonly isClientError: boolean = false;

  constructor(message: string, options: SwitchboardErrorOptions = {}) {
    super(message, 'cause' in options ? { cause: options.cause } : undefined);
  }

  static {
    // On the prototype, not each instance: keeps construction cheap (an open
    // breaker allocates one error per rejected call).
    Object.defineProperty(this.prototype, MARKER, { value: true });
  }
}
