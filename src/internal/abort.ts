import { defaultMaxListeners, getMaxListeners, setMaxListeners } from 'node:events';
import { abortErrorFrom } from '../errors.js';
import { MAX_TIMER_MS } from './options.js';

/** Far above any real concurrency; finite, see below. */
const LISTENER_LIMIT = 1_000_000;

/**
 * Adds `listener` to a caller's `signal` for the time of one operation, which
 * removes it when it settles. One signal often serves many calls at once (a
 * request's, a shutdown's): past ten listeners Node warns of a leak that is
 * not one. As undici's fetch does, the limit is lifted while it is Node's
 * default; a limit the caller set stays theirs.
 */
export function listenForAbort(signal: AbortSignal, listener: () => void): void {
  try {
    // Not 0 ("no limit"): Node 20's getMaxListeners then throws for an EventTarget.
    if (getMaxListeners(signal) === defaultMaxListeners) setMaxListeners(LISTENER_LIMIT, signal);
  } catch {
    // A signal from another realm or a polyfill is no EventTarget to Node's
    // helpers (undici's fetch meets the same): it keeps its limit.
  }
  signal.addEventListener('abort', listener, { once: true });
}

/** Throws the library's abort error when `signal` is already aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw abortErrorFrom(signal);
}

/**
 * Waits `ms` milliseconds, or rejects as soon as `signal` aborts; the timer is
 * always cleared. It is not unref'd: someone awaits it, and a script whose only
 * pending work is a backoff must not exit in the middle of it. A wait longer
 * than a timer can hold (about 24.8 days) is made of several timers.
 */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(abortErrorFrom(signal));
      return;
    }
    let remaining = ms;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortErrorFrom(signal as AbortSignal));
    };
    const arm = (): void => {
      const step = Math.min(remaining, MAX_TIMER_MS);
      remaining -= step;
      timer = setTimeout(() => {
        if (remaining > 0) {
          arm();
          return;
        }
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, step);
    };
    arm();
    if (signal !== undefined) listenForAbort(signal, onAbort);
  });
}

/**
 * Settles like `promise`, or rejects with the library's abort error as soon as
 * `signal` aborts, so an operation that ignores its signal cannot hold its
 * caller past an abort or a deadline. An abandoned promise keeps running; its
 * outcome is observed (never an unhandled rejection) and dropped.
 */
export function raceAbort<T>(promise: PromiseLike<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      reject(abortErrorFrom(signal));
    };
    if (signal.aborted) onAbort();
    else listenForAbort(signal, onAbort);
    Promise.resolve(promise)
      .finally(() => {
        signal.removeEventListener('abort', onAbort);
      })
      .then(resolve, reject);
  });
}
