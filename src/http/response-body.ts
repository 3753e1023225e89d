import { InvalidResponseError } from '../errors.js';
import type { IncomingResponse } from './http-transport.js';

/** What a response body was read as. */
export type ReadBody = { readonly data: unknown; readonly isJson: boolean };

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\b/i;
// What `Response.text()` decodes with: UTF-8, a leading BOM dropped, bad bytes replaced.
const utf8 = new TextDecoder();

/**
 * Reads a response body, never more than `maxBytes`: parsed JSON when the
 * content type says JSON, text otherwise, `undefined` when empty. A body over
 * the limit is cut off (`truncate`, for error bodies) or refused with
 * {@link InvalidResponseError} (without reading it when its declared length
 * says so); malformed JSON is an `InvalidResponseError` too, never a stray
 * `SyntaxError`.
 */
export async function readBody(
  response: IncomingResponse,
  { maxBytes, truncate = false }: { readonly maxBytes: number; readonly truncate?: boolean },
): Promise<ReadBody> {
  const isJson = JSON_TYPE.test(response.header('content-type') ?? '');
  if (!truncate && Number(response.header('content-length') ?? NaN) > maxBytes) {
    response.body.discard();
    throw tooLarge(maxBytes);
  }
  const { bytes, complete } = await response.body.read(maxBytes);
  if (!complete && !truncate) throw tooLarge(maxBytes);
  const text = utf8.decode(bytes);
  if (text.length === 0) return { data: undefined, isJson };
  if (!isJson) return { data: text, isJson };
  try {
    return { data: JSON.parse(text) as unknown, isJson };
  } catch (error) {
    if (truncate) return { data: text, isJson: false };
    throw new InvalidResponseError(
      'malformed-json',
      'The response said JSON but its body is not valid JSON',
      { cause: error },
    );
  }
}

function tooLarge(maxBytes: number): InvalidResponseError {
  return new InvalidResponseError(
    'too-large',
    `The response body is larger than ${maxBytes} bytes`,
  );
}
