import { invalidOption } from '../internal/options.js';

// RFC 9110: a field name is a token; a value has no CR, LF or NUL (undici and
// fetch refuse those too, but later and as a network-looking failure).
const TOKEN = /^[!#$%&'*+\-.^_`|~\dA-Za-z]+$/;
const UNSAFE_VALUE = /[\r\n\0]/;

/**
 * A copy of the caller's `headers` with lower-case names, so theirs replace
 * ours whatever their case, as `Headers` would merge them.
 *
 * @throws {TypeError} naming `option` for a name that is not an HTTP token or
 * a value holding CR, LF or NUL (header injection), before anything is sent.
 */
export function requestHeaders(
  option: string,
  headers: Readonly<Record<string, string>>,
): Record<string, string> {
  const checked: Record<string, string> = {};
  for (const name of Object.keys(headers)) {
    if (!TOKEN.test(name)) {
      invalidOption(option, `${JSON.stringify(name)} is not a valid header name`, TypeError);
    }
    checked[name.toLowerCase()] = headerValue(`${option}.${name}`, headers[name]);
  }
  return checked;
}

/** `value`, checked as a header value. @throws {TypeError} naming `option`. */
export function headerValue(option: string, value: unknown): string {
  if (typeof value !== 'string') {
    invalidOption(option, `expected a string, got ${typeof value}`, TypeError);
  }
  // The value itself may be a secret: the message says what is wrong, not what it is.
  if (UNSAFE_VALUE.test(value)) invalidOption(option, 'holds CR, LF or NUL', TypeError);
  return value;
}
