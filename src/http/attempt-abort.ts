import { EventEmitter } from 'node:events';
import { TimeoutError } from '../errors.js';
import { listenForAbort } from '../internal/abort.js';

/**
 * What cuts one attempt short: its time limit or the caller's signal.
 *
 * It is what the client's own pool hands `undici.request` as its `signal`
 * (undici takes an EventEmitter with `aborted`, `reason` and an `'abort'`
 * event as well as an `AbortSignal`). On Node 20 every `AbortSignal` costs
 * about 10 µs to create and `AbortSignal.any` several times that, per request;
 * this costs next to nothing and follows the caller's signal with one
 * listener. A fetch of the caller's own gets a real signal from
 * {@link toAbortSignal}. Aborts once; {@link dispose} clears the timer.
 */
export class AttemptAbort extends EventEmitter {
  aborted = false;
  reason: unknown = undefined;
  /** Set when the time limit cut the attempt. */
  timedOut: TimeoutError | undefined;
  readonly #timer: ReturnType<typeof setTimeout>;
  #caller: AbortSignal | undefined;
  readonly #onCallerAbort = (): void => {
    this.abort((this.#caller as AbortSignal).reason);
  };

  /** `what` names the attempt in the timeout's message (`GET http://host/path`). */
  constructor(timeoutMs: number, what: string, callerSignal?: AbortSignal) {
    super();
    this.#timer = setTimeout(() => {
      this.timedOut = new TimeoutError(`${what} timed out after ${timeoutMs} ms`, { timeoutMs });
      this.abort(this.timedOut);
    }, timeoutMs);
    if (callerSignal === undefined) return;
    if (callerSignal.aborted) {
      this.abort(callerSignal.reason);
    } else {
      this.#caller = callerSignal;
      listenForAbort(callerSignal, this.#onCallerAbort);
    }
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.emit('abort');
  }

  /** A standard signal that aborts with this, for a fetch other than our pool. */
  toAbortSignal(): AbortSignal {
    const controller = new AbortController();
    if (this.aborted) controller.abort(this.reason);
    else {
      this.once('abort', () => {
        controller.abort(this.reason);
      });
    }
    return controller.signal;
  }

  /** Clears the timer and stops following the caller's signal. */
  dispose(): void {
    clearTimeout(this.#timer);
    this.#caller?.removeEventListener('abort', this.#onCallerAbort);
    this.#caller = undefined;
  }
}
