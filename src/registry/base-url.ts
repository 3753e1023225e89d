import { InvalidUrlError } from '../errors.js';
import { redactUrl } from '../internal/redact-url.js';

/**
 * Checks an instance's base URL and returns its normal form: an absolute
 * `http:` or `https:` URL, no credentials, query or fragment, no trailing
 * slash (`http://Host:80/api/` → `http://host/api`).
 *
 * Messages never quote credentials or a query string: both are where secrets
 * live, and these errors end up in logs.
 *
 * @param label - what to call the value in messages (`baseUrl`, an env variable).
 * @throws {@link InvalidUrlError} saying what is wrong.
 */
export function normalizeBaseUrl(input: unknown, label = 'baseUrl'): string {
  if (typeof input !== 'string') {
    throw new InvalidUrlError(`${label} must be a string, got ${typeof input}`);
  }
  const url = URL.canParse(input) ? new URL(input) : undefined;
  if (url === undefined) {
    throw new InvalidUrlError(`${label} "${redactUrl(input)}" is not an absolute URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    // `localhost:8001` parses with the protocol `localhost:`: say what was probably meant.
    throw new InvalidUrlError(
      `${label} must use http: or https:, got ${url.protocol} (write it as http://host:port/path)`,
    );
  }
  const shown = url.origin + url.pathname;
  if (url.username !== '' || url.password !== '') {
    throw new InvalidUrlError(
      `${label} ${shown} must not contain credentials; pass a token per call instead`,
    );
  }
  // Checked on the input too: a bare `?` or `#` leaves `search`/`hash` empty.
  if (url.search !== '' || input.includes('?')) {
    throw new InvalidUrlError(`${label} ${shown} must not have a query string`);
  }
  if (url.hash !== '' || input.includes('#')) {
    throw new InvalidUrlError(`${label} ${shown} must not have a fragment`);
  }
  return url.origin + url.pathname.replace(/\/+$/, '');
}
