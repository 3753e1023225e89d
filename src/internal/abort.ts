import { abortErrorFrom } from '../errors.js';

/** Throws the library's abort error when `signal` is already aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw abortErrorFrom(signal);
}

/**
 * Waits `ms` milliseconds, or rejects as soon as `signal` aborts; the timer is
 * always cleared. It is not unref'd: someone awaits it, and a script whose only
 * pending work is a backoff must not exit in the middle of it.
 */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(abortErrorFrom(signal));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortErrorFrom(signal as AbortSignal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
