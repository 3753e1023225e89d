import { InvalidResponseError } from '../errors.js';
import { bufferedBody } from './undici-fetch.js';

/** What a response body was read as. */
export type ReadBody = { readonly data: unknown; readonly isJson: boolean };

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\b/i;
// What `Response.text()` decodes with: UTF-8, a leading BOM dropped, bad bytes replaced.
const utf8 = new TextDecoder();

/**
 * Reads a response body, never more than `maxBytes`: parsed JSON when the
 * content type says JSON, text otherwise, `undefined` when empty. A body over
 * the limit is cut off (`truncate`, for error bodies) or refused with
 * {@link InvalidResponseError}; malformed JSON is an `InvalidResponseError`
 * too, never a stray `SyntaxError`.
 */
export async function readBody(
  response: Response,
  { maxBytes, truncate = false }: { readonly maxBytes: number; readonly truncate?: boolean },
): Promise<ReadBody> {
  const isJson = JSON_TYPE.test(response.headers.get('content-type') ?? '');
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (!truncate && declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw tooLarge(maxBytes);
  }
  // Our pool read small bodies already: decode those bytes, as `text()` would.
  const bytes = bufferedBody(response);
  let text: string;
  if (bytes !== undefined) {
    if (bytes.byteLength > maxBytes && !truncate) throw tooLarge(maxBytes);
    text = utf8.decode(bytes.byteLength > maxBytes ? bytes.subarray(0, maxBytes) : bytes);
  } else if (declared <= maxBytes) {
    // A declared length within the limit lets the platform read the body in one go.
    text = await response.text();
  } else {
    text = await readText(response, maxBytes, truncate);
  }
  if (text.length === 0) return { data: undefined, isJson };
  if (!isJson) return { data: text, isJson };
  try {
    return { data: JSON.parse(text) as unknown, isJson };
  } catch (error) {
    if (truncate) return { data: text, isJson: false };
    throw new InvalidResponseError(
      'malformed-json',
      'The response said JSON but its body is not valid JSON',
      {
        cause: error,
      },
    );
  }
}

async function readText(response: Response, maxBytes: number, truncate: boolean): Promise<string> {
  if (response.body === null) return '';
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (size + value.byteLength > maxBytes) {
        if (!truncate) throw tooLarge(maxBytes);
        chunks.push(value.subarray(0, maxBytes - size));
        size = maxBytes;
        break;
      }
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    // Frees the connection at once when we stop early; a no-op after `done`.
    await reader.cancel().catch(() => undefined);
  }
  return utf8.decode(Buffer.concat(chunks, size));
}

function tooLarge(maxBytes: number): InvalidResponseError {
  return new InvalidResponseError(
    'too-large',
    `The response body is larger than ${maxBytes} bytes`,
  );
}
