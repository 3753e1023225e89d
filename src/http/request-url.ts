import { InvalidUrlError } from '../errors.js';
import { redactUrl } from '../internal/redact-url.js';

/**
 * The URL for `path` under an instance's `baseUrl`. Only relative paths are
 * accepted, and the result must stay under the base URL: a token given to a
 * client is only ever sent to a base URL the registry holds. Messages quote
 * the path without query, fragment or credentials.
 */
export function resolveUrl(baseUrl: string, path: string): URL {
  if (/^[a-z][a-z\d+.-]*:/i.test(path) || path.startsWith('//')) {
    throw new InvalidUrlError(
      `"${redactUrl(path)}" is an absolute URL; a ServiceClient only calls paths under its registered instances`,
    );
  }
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  const url = new URL(path.startsWith('/') ? path.slice(1) : path, base);
  if (!url.href.startsWith(base)) {
    throw new InvalidUrlError(`"${redactUrl(path)}" leaves the service's base URL ${baseUrl}`);
  }
  return url;
}
