import type { IncomingResponse, ResponseBody } from './http-transport.js';

/** A WHATWG `Response` seen as an {@link IncomingResponse}, for bounded reads. */
export function responseFromFetch(response: Response): IncomingResponse {
  return {
    status: response.status,
    header: (name) => response.headers.get(name) ?? undefined,
    body: fetchBody(response),
  };
}

function fetchBody(response: Response): ResponseBody {
  return {
    async read(maxBytes) {
      if (response.body === null) return { bytes: new Uint8Array(0), complete: true };
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      const chunks: Uint8Array[] = [];
      let size = 0;
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return { bytes: Buffer.concat(chunks, size), complete: true };
          if (size + value.byteLength > maxBytes) {
            chunks.push(value.subarray(0, maxBytes - size));
            return { bytes: Buffer.concat(chunks, maxBytes), complete: false };
          }
          chunks.push(value);
          size += value.byteLength;
        }
      } finally {
        // Frees the connection at once when we stop early; a no-op after `done`.
        await reader.cancel().catch(() => undefined);
      }
    },
    discard() {
      response.body?.cancel().catch(() => undefined);
    },
  };
}
