/**
 * Milliseconds to wait from a `Retry-After` header: delay-seconds or an HTTP
 * date (RFC 9110 §10.2.3). `undefined` for a missing or malformed header; a
 * date in the past is 0.
 */
export function parseRetryAfter(
  header: string | null | undefined,
  now = Date.now(),
): number | undefined {
  if (header === null || header === undefined) return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  // Only real dates: Date.parse also accepts bare numbers and odd strings.
  if (!/[a-z]/i.test(value)) return undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
