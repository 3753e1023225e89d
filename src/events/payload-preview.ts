/** How much of a payload a preview shows. */
export const PREVIEW_CHARS = 200;

// Read a little past the preview, so a secret cut at the edge is still seen
// whole by the patterns below; kept small because they run on poison input.
const SCAN_CHARS = 1_024;

const REDACTED = '[redacted]';

// A JSON key naming a secret, and its string value (possibly cut off at the end).
const SECRET_MEMBER =
  /("[^"\\]{0,64}?(?:passw(?:or)?d|pwd|secret|token|api[-_]?key|authori[sz]ation|cookie|credential|private[-_]?key|session)[^"\\]{0,64}?"\s*:\s*)"(?:[^"\\]|\\.)*(?:"|$)/gi;
const BEARER = /\b(Bearer|Basic)\s+[\w.~+/=-]+/gi;
// Three base64url parts, the first a JSON header: `eyJ…`.
const JWT = /\beyJ[\w-]{4,}\.[\w-]*(?:\.[\w-]*)?/g;
const URL_CREDENTIALS = /\b([a-z][a-z\d+.-]*:\/\/)[^\s/?#@"]*@/gi;
const SECRET_PARAM =
  /([?&;](?:[\w.-]*?(?:token|key|secret|passw(?:or)?d|sig(?:nature)?|auth|code|session)[\w.-]*)=)[^&#\s"]*/gi;
// Control characters (a log line must stay one line) and lone surrogates.
const UNPRINTABLE =
  // eslint-disable-next-line no-control-regex -- matching them is the point
  /[\u0000-\u001f\u007f-\u009f\u2028\u2029]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * The start of a message payload, safe to log: bounded to
 * {@link PREVIEW_CHARS} characters, values that look like secrets replaced by
 * `[redacted]`, control characters and lone surrogates escaped. Works on any
 * text, JSON or not: it is made for payloads that did not decode.
 */
export function payloadPreview(payload: string): string {
  const scanned = payload.slice(0, SCAN_CHARS);
  const redacted = scanned
    .replace(SECRET_MEMBER, `$1"${REDACTED}"`)
    .replace(BEARER, `$1 ${REDACTED}`)
    .replace(JWT, REDACTED)
    .replace(URL_CREDENTIALS, `$1${REDACTED}@`)
    .replace(SECRET_PARAM, `$1${REDACTED}`)
    .replace(UNPRINTABLE, escape);
  let shown = redacted.length > PREVIEW_CHARS ? redacted.slice(0, PREVIEW_CHARS) : redacted;
  // Never end on half a surrogate pair.
  if (/[\ud800-\udbff]$/.test(shown)) shown = shown.slice(0, -1);
  return shown.length < redacted.length || payload.length > scanned.length
    ? `${shown}… (${payload.length} characters)`
    : shown;
}

function escape(char: string): string {
  return `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
}
