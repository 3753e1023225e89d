import type { IncomingHttpHeaders } from 'node:http';
import { Agent, type Dispatcher } from 'undici';
import type { HttpTransport, IncomingResponse, ResponseBody } from './http-transport.js';

/** Connection settings of a {@link ServiceClient}'s own connection pool. */
export type ConnectionOptions = {
  /** Sockets per origin. @default 64 */
  readonly connections?: number;
  /** How long an idle keep-alive socket is kept. @default 30_000 */
  readonly keepAliveTimeoutMs?: number;
};

type UndiciBody = Dispatcher.ResponseData['body'];

// Statuses whose response carries no body, whatever its headers say.
const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);

const ignore = (): void => undefined;

/**
 * The client's own transport: `undici`'s dispatcher on a keep-alive `Agent`,
 * with no WHATWG `Request`, `Response`, `Headers` or `AbortSignal` per
 * request: on Node 20 those cost more CPU than the HTTP exchange itself
 * (docs/decisions/0014-http-transport-without-ky.md). Redirects are not
 * followed. The attempt's {@link AttemptAbort} is undici's signal, so a time
 * limit or the caller's abort tears down the request and its body.
 */
export function poolTransport(options: ConnectionOptions = {}): HttpTransport {
  const agent = new Agent({
    connections: options.connections ?? 64,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 30_000,
  });
  let closed: Promise<void> | undefined;
  return {
    async send({ url, method, headers, body, abort }): Promise<IncomingResponse> {
      const answer = await agent.request({
        origin: url.origin,
        path: url.pathname + url.search,
        method,
        headers,
        body: body ?? null,
        signal: abort,
      });
      const empty = method === 'HEAD' || NULL_BODY_STATUS.has(answer.statusCode);
      return {
        status: answer.statusCode,
        header: (name) => headerValue(answer.headers, name),
        body: empty ? emptyBody(answer.body) : poolBody(answer.body, answer.headers),
      };
    },
    close: () => (closed ??= agent.close()),
  };
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

function emptyBody(body: UndiciBody): ResponseBody {
  // Nothing to read: let undici settle the (empty) stream and keep the socket.
  body.dump().catch(ignore);
  return {
    read: () => Promise.resolve({ bytes: new Uint8Array(0), complete: true }),
    discard: ignore,
  };
}

function poolBody(body: UndiciBody, headers: IncomingHttpHeaders): ResponseBody {
  return {
    read(maxBytes) {
      const declared = Number(headers['content-length'] ?? NaN);
      // A length within the limit is all undici lets through: one read, no chunk list.
      if (declared <= maxBytes) return body.bytes().then((bytes) => ({ bytes, complete: true }));
      return readAtMost(body, maxBytes);
    },
    discard() {
      drop(body);
    },
  };
}

/** Reads chunks until the end or `maxBytes`, then drops the rest of the body. */
async function readAtMost(
  body: UndiciBody,
  maxBytes: number,
): Promise<{ readonly bytes: Uint8Array; readonly complete: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  const iterator = body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  for (;;) {
    const next = await iterator.next();
    if (next.done === true) return { bytes: Buffer.concat(chunks, size), complete: true };
    const chunk = next.value;
    if (size + chunk.byteLength > maxBytes) {
      chunks.push(chunk.subarray(0, maxBytes - size));
      drop(body);
      return { bytes: Buffer.concat(chunks, maxBytes), complete: false };
    }
    chunks.push(chunk);
    size += chunk.byteLength;
  }
}

// Destroyed before its end, undici's body emits an abort error nobody awaits.
function drop(body: UndiciBody): void {
  body.on('error', ignore).destroy();
}
