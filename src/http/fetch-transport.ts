import ky, { type KyInstance } from 'ky';
import { responseFromFetch } from './fetch-response.js';
import type { HttpTransport, IncomingResponse, OutgoingRequest } from './http-transport.js';

/**
 * Sends attempts through a fetch the caller supplies (an instrumented fetch,
 * a test double, a fetch with its own dispatcher), driven by ky. Every retry,
 * timeout and error stays the client's: ky's own retry and timeout are off,
 * and ky throws no HTTP errors. The attempt's abort reaches the fetch as a
 * real `AbortSignal`; redirects are returned, not followed.
 */
export function fetchTransport(fetch: typeof globalThis.fetch): HttpTransport {
  const client: KyInstance = ky.create({
    retry: 0, // one retry layer per hop: the client's
    timeout: false, // the client's too, per attempt, with a typed error
    throwHttpErrors: false,
    redirect: 'manual',
    fetch,
  });
  return {
    async send({ url, method, headers, body, abort }: OutgoingRequest): Promise<IncomingResponse> {
      const response = await client(url, {
        method,
        headers,
        ...(body === undefined ? {} : { body }),
        signal: abort.toAbortSignal(),
      });
      return responseFromFetch(response);
    },
    close: () => Promise.resolve(),
  };
}
