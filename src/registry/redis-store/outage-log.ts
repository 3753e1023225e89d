import type { Logger } from '../../logger.js';

/**
 * Logs a background job's failures without flooding: the first failure of an
 * outage at `warn`, repeats at `debug`, the recovery at `info`.
 */
export class OutageLog {
  readonly #logger: Logger;
  readonly #context: Record<string, unknown>;
  readonly #what: string;
  #failing = false;

  constructor(logger: Logger, context: Record<string, unknown>, what: string) {
    this.#logger = logger;
    this.#context = context;
    this.#what = what;
  }

  failed(error: unknown): void {
    const context = { ...this.#context, err: error };
    if (this.#failing) {
      this.#logger.debug(context, `${this.#what} still failing`);
      return;
    }
    this.#failing = true;
    this.#logger.warn(context, `${this.#what} failed; retrying at the next tick`);
  }

  succeeded(): void {
    if (!this.#failing) return;
    this.#failing = false;
    this.#logger.info(this.#context, `${this.#what} works again`);
  }
}
