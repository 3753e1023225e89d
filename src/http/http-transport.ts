import type { AttemptAbort } from './attempt-abort.js';
import type { HttpMethod } from './service-client-options.js';

/** One attempt as a {@link ServiceClient} sends it: everything already decided. */
export type OutgoingRequest = {
  readonly url: URL;
  readonly method: HttpMethod;
  /** Lower-case names, values already checked. */
  readonly headers: Readonly<Record<string, string>>;
  /** The encoded JSON body, if any. */
  readonly body: string | undefined;
  /** Cuts the attempt short: its time limit or the caller's signal. */
  readonly abort: AttemptAbort;
};

/**
 * A response body, read at most once. Reading is bounded so a huge or endless
 * body never fills memory; whatever is not read is released, so the
 * connection is freed (or closed) either way.
 */
export type ResponseBody = {
  /**
   * Reads up to `maxBytes`: `complete` is false when the body was longer, and
   * its rest was dropped. Rejects when the attempt is aborted mid-body.
   */
  read(maxBytes: number): Promise<{ readonly bytes: Uint8Array; readonly complete: boolean }>;
  /** Drops the body unread. */
  discard(): void;
};

/** A response's status line and headers, with its body still to read. */
export type IncomingResponse = {
  readonly status: number;
  /** A header's value (several joined with `, `), or `undefined`; `name` in lower case. */
  header(name: string): string | undefined;
  readonly body: ResponseBody;
};

/**
 * How a {@link ServiceClient} puts one attempt on the wire. Its own pool
 * (`poolTransport`) is the default; `fetchTransport` drives a fetch the
 * caller supplies. Neither follows redirects: a 3xx comes back as it is, so
 * credentials never follow one elsewhere.
 */
export type HttpTransport = {
  send(request: OutgoingRequest): Promise<IncomingResponse>;
  /** Frees what the transport owns (idle sockets). Idempotent. */
  close(): Promise<void>;
};
