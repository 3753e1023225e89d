import { TimeoutError } from '../../errors.js';
import { raceAbort } from '../abort.js';
import { scrubRedisError } from './scrub-error.js';

/**
 * Settles like `promise`, or rejects with a {@link TimeoutError} after
 * `timeoutMs`, or with the abort error as soon as `signal` aborts. An
 * abandoned promise is still observed (never an unhandled rejection). A
 * Redis error comes out without its command's arguments.
 *
 * The timer is unref'd, unlike `delay`'s: it guards a Redis command whose
 * socket or reconnect timer keeps the process alive while the command matters.
 */
export async function withDeadline<T>(
  promise: PromiseLike<T>,
  timeoutMs: number,
  what: string,
  signal?: AbortSignal,
): Promise<T> {
  const deadline = new AbortController();
  const timer = setTimeout(() => {
    deadline.abort(new TimeoutError(`${what} took longer than ${timeoutMs} ms`, { timeoutMs }));
  }, timeoutMs);
  timer.unref();
  try {
    return await raceAbort(
      promise,
      signal === undefined ? deadline.signal : AbortSignal.any([signal, deadline.signal]),
    );
  } catch (error) {
    throw scrubRedisError(error);
  } finally {
    clearTimeout(timer);
  }
}
