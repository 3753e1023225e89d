import { delay } from '../../internal/abort.js';
import type { Logger } from '../../logger.js';
import { errorText } from '../handler-outcome.js';
import { heldKey, redisBackoffMs, type HeldMessage } from './held-message.js';
import type { RedisLink } from './redis-link.js';
import { isRedisError } from './stream-reply.js';

/** What {@link OutcomeWrites} needs from its subscription. */
export type OutcomeWritesHost = {
  readonly link: RedisLink;
  readonly logger: Logger;
  readonly group: string;
  /** Aborted when the subscription stops without draining: no more attempts. */
  readonly abandoned: AbortSignal;
  /** Aborted when the subscription stops: a backoff ends early, for one last attempt. */
  readonly halted: AbortSignal;
};

/**
 * The writes that settle a held message in Redis (an acknowledgement, or a
 * dead letter with its acknowledgement), retried through a Redis outage while
 * the message stays held. If a write still cannot be done, the message stays
 * pending and is delivered again: at least once, never lost.
 */
export class OutcomeWrites {
  readonly #host: OutcomeWritesHost;
  readonly #writing = new Map<
    string,
    { readonly held: HeldMessage; readonly done: Promise<void> }
  >();

  constructor(host: OutcomeWritesHost) {
    this.#host = host;
  }

  get size(): number {
    return this.#writing.size;
  }

  has(key: string): boolean {
    return this.#writing.has(key);
  }

  /** The messages being written, and the promises that settle when each is done. */
  values(): IterableIterator<{ readonly held: HeldMessage; readonly done: Promise<void> }> {
    return this.#writing.values();
  }

  /**
   * Runs `write` for `held` (whose key the caller may know already); the
   * promise settles (never rejects) once it is done or given up.
   */
  write(
    held: HeldMessage,
    write: () => Promise<unknown>,
    key = heldKey(held.stream, held.entryId),
  ): Promise<void> {
    const settled = (): void => {
      this.#writing.delete(key);
    };
    let first: Promise<unknown>;
    try {
      first = write();
    } catch (error) {
      // Whatever was thrown goes on as it is, as if the call had rejected with it.
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      first = Promise.reject(error);
    }
    // The usual case, a write that succeeds at once, costs no async function.
    const done = first.then(settled, (error: unknown) =>
      this.#writeAgain(held, write, error).finally(settled),
    );
    this.#writing.set(key, { held, done });
    return done;
  }

  /** The rest of {@link write}: backs off and writes again, up to ten attempts in all. */
  async #writeAgain(
    held: HeldMessage,
    write: () => Promise<unknown>,
    firstError: unknown,
  ): Promise<void> {
    const { link, logger, group, abandoned, halted } = this.#host;
    let error = firstError;
    for (let attempt = 1; ; attempt++) {
      // The group is gone, and with it the pending entry: nothing to acknowledge.
      if (isRedisError(error, 'NOGROUP')) return;
      link.noteError(error);
      // Stopping while Redis is out of reach: backing off until the tenth
      // attempt would hold the stop for tens of seconds. It stays pending.
      const unreachable = halted.aborted && !link.connected;
      if (abandoned.aborted || attempt >= 10 || unreachable) {
        logger.warn(
          { group, id: held.message.id, error: errorText(error) },
          'could not acknowledge; the message will be delivered again',
        );
        return;
      }
      // A stop cuts the wait short: one more attempt, now.
      const wait = AbortSignal.any([abandoned, halted]);
      await delay(redisBackoffMs(attempt), wait).catch(() => undefined);
      try {
        await write();
        return;
      } catch (failure) {
        error = failure;
      }
    }
  }
}
