import type { Readable } from 'node:stream';
import { Agent, request } from 'undici';
import type { AttemptAbort } from './attempt-abort.js';

/** Connection settings of a {@link ServiceClient}'s own connection pool. */
export type ConnectionOptions = {
  /** Sockets per origin. @default 64 */
  readonly connections?: number;
  /** How long an idle keep-alive socket is kept. @default 30_000 */
  readonly keepAliveTimeoutMs?: number;
};

/**
 * What a `ServiceClient` hands its own pool with each request, beside the
 * Request. ky passes options it does not know to `fetch` as its second
 * argument (`findUnknownOptions`), so this travels under {@link ATTEMPT_OPTION}
 * without becoming part of the Request.
 */
export type AttemptChannel = {
  /**
   * Aborts the request and its body. Given here rather than as ky's `signal`,
   * which ky would merge with its own through `AbortSignal.any` on every request.
   */
  readonly signal: AbortSignal | AttemptAbort;
  /**
   * A body whose declared length is at most this many bytes is read before the
   * Response is built (one buffer instead of a stream); larger or undeclared
   * bodies stream.
   */
  readonly bufferBytes: number;
};

/** The ky option (unknown to ky, so forwarded to `fetch`) that carries an {@link AttemptChannel}. */
export const ATTEMPT_OPTION = 'switchboardAttempt';

/** A fetch `init` as our pool receives it from ky. */
type PooledInit = RequestInit & { readonly [ATTEMPT_OPTION]?: AttemptChannel };

// Statuses whose response has no body (a Response built with one throws).
const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);

// Bodies read before their Response was built, so `readBody` can skip the
// Response's own stream. Weak: the bytes live as long as their Response.
const buffered = new WeakMap<Response, Uint8Array>();

/**
 * The bytes of `response`'s body when our pool read them before building it
 * and nobody has read the body since; `undefined` otherwise (read the Response).
 */
export function bufferedBody(response: Response): Uint8Array | undefined {
  if (response.bodyUsed) return undefined;
  return buffered.get(response);
}

/** A fetch function and the pool behind it. */
export type PooledFetch = {
  readonly fetch: typeof fetch;
  close(): Promise<void>;
};

/**
 * A fetch-compatible function over `undici.request` and a keep-alive `Agent`,
 * for ky. It skips most of what the global fetch spends per request (the WHATWG
 * request pipeline) while keeping what ky and the client rely on: the abort
 * signal, streamed response bodies, and no redirect following (a 3xx is
 * returned as it is, so a token never follows a redirect elsewhere).
 * `npm run bench -- http` measures it against the global fetch.
 */
export function pooledFetch(options: ConnectionOptions = {}): PooledFetch {
  const agent = new Agent({
    connections: options.connections ?? 64,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 30_000,
  });
  const fetchOverUndici = async (
    input: string | URL | Request,
    init?: PooledInit,
  ): Promise<Response> => {
    const req = input instanceof Request ? input : new Request(input, init);
    const channel = init?.[ATTEMPT_OPTION];
    const headers: Record<string, string> = {};
    req.headers.forEach((value, name) => {
      headers[name] = value;
    });
    const body = req.body === null ? null : Buffer.from(await req.arrayBuffer());
    const answer = await request(req.url, {
      method: req.method,
      headers,
      body,
      signal: channel?.signal ?? req.signal,
      dispatcher: agent,
    });
    // Name-value pairs straight into the Response: no intermediate Headers.
    const responseHeaders: [string, string][] = [];
    for (const name in answer.headers) {
      const value = answer.headers[name];
      if (Array.isArray(value)) for (const item of value) responseHeaders.push([name, item]);
      else if (value !== undefined) responseHeaders.push([name, value]);
    }
    const init_ = { status: answer.statusCode, headers: responseHeaders };
    if (req.method === 'HEAD' || NULL_BODY_STATUS.has(answer.statusCode)) {
      answer.body.resume();
      return new Response(null, init_);
    }
    const declared = Number(answer.headers['content-length'] ?? NaN);
    if (channel !== undefined && declared <= channel.bufferBytes) {
      // Small and of known size: one read, aborted by the signal like the request.
      const bytes = await answer.body.bytes();
      const response = new Response(bytes, init_);
      buffered.set(response, bytes);
      return response;
    }
    return new Response(webStream(answer.body), init_);
  };
  return {
    fetch: fetchOverUndici,
    close: () => agent.close(),
  };
}

/**
 * A web stream over undici's body, pulled a chunk at a time; cancelling it
 * destroys the body, which frees the socket. Not `Readable.toWeb`: cancelling
 * its stream while data is still arriving (as `readBody` does with a body whose
 * declared length is over the limit) throws an uncaught `ERR_INVALID_STATE`
 * (nodejs/node#54205, unfixed on Node 20).
 */
function webStream(body: Readable): ReadableStream<Uint8Array> {
  const chunks = body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let cancelled = false;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const next = await chunks.next();
        if (cancelled) return;
        if (next.done === true) controller.close();
        else controller.enqueue(next.value);
      },
      cancel() {
        cancelled = true;
        // Destroyed before its end, undici's body emits an abort error that nobody awaits.
        body.on('error', () => undefined).destroy();
      },
    },
    // Nothing is read before someone reads: a refused body costs no extra bytes.
    { highWaterMark: 0 },
  );
}
