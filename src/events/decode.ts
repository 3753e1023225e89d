import { EventDecodeError, isSwitchboardError } from '../errors.js';
import { integerOption } from '../internal/options.js';
import { fromCloudEvent, toCloudEvent, type EventEnvelope } from './envelope.js';
import { quickEnvelope } from './quick-envelope.js';
import { DEFAULT_MAX_EVENT_DEPTH, nestsDeeperThan } from './json-depth.js';

/**
 * Options of {@link decodeEvent}.
 *
 * @example
 * import { decodeEvent } from 'switchboard';
 * decodeEvent(message, { maxBytes: 64 * 1024 });
 */
export type DecodeEventOptions = {
  /**
   * The largest encoded event accepted, in bytes (UTF-8); checked before parsing.
   * @default 1_048_576 (1 MiB)
   */
  readonly maxBytes?: number;
  /**
   * The deepest nesting of objects and arrays accepted, the envelope counting
   * as 1; checked before parsing.
   * @default 64
   */
  readonly maxDepth?: number;
};

/**
 * The default {@link DecodeEventOptions.maxBytes}: 1 MiB.
 *
 * @example
 * import { DEFAULT_MAX_EVENT_BYTES, decodeEvent } from 'switchboard';
 * decodeEvent(message, { maxBytes: 4 * DEFAULT_MAX_EVENT_BYTES });
 */
export const DEFAULT_MAX_EVENT_BYTES = 1024 * 1024;

// Keys that could reach a prototype if a consumer later merges the data into an object.
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
// Without these substrings no forbidden key can exist: `\u` is the only escape
// that can spell a letter or `_`, so plain `JSON.parse` is safe (and faster).
const SUSPICIOUS = /__proto__|constructor|prototype|\\u/;
const utf8 = new TextDecoder('utf-8', { fatal: true });
// ES2024, in every Node this package supports; the compiler's lib is ES2023.
type WellFormed = { isWellFormed(): boolean };

/**
 * Turns received bytes into an envelope, safely: the size and the nesting
 * depth are checked before parsing, text that is not well-formed Unicode is
 * refused, the JSON is parsed without `__proto__`, `constructor` or
 * `prototype` keys (dropped wherever they appear), and the envelope is checked
 * against the CloudEvents rules. `data` stays `unknown`: validate it with the
 * definition's `parse`.
 *
 * @throws {@link EventDecodeError} with a `reason`: `'too-large'`, `'too-deep'`,
 * `'malformed-json'` (not JSON, not UTF-8, or a string with lone surrogates),
 * `'unsupported-specversion'` or `'invalid-envelope'`.
 * @example
 * import { decodeEvent, ProductEvents } from 'switchboard';
 * const envelope = decodeEvent(message, { maxBytes: 64 * 1024 });
 * if (ProductEvents.created.is(envelope)) ProductEvents.created.parse(envelope);
 */
export function decodeEvent(
  raw: string | Uint8Array,
  options: DecodeEventOptions = {},
): EventEnvelope {
  const maxBytes = integerOption('maxBytes', options.maxBytes ?? DEFAULT_MAX_EVENT_BYTES);
  const maxDepth = integerOption('maxDepth', options.maxDepth ?? DEFAULT_MAX_EVENT_DEPTH);
  const text = textOf(raw, maxBytes);
  if (nestsDeeperThan(text, maxDepth)) {
    throw new EventDecodeError('too-deep', `An event nests deeper than maxDepth (${maxDepth})`);
  }
  const value = parseJson(text);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new EventDecodeError('invalid-envelope', 'An event must be a JSON object');
  }
  const { specversion } = value as { specversion?: unknown };
  if (specversion !== undefined && specversion !== '1.0') {
    throw new EventDecodeError(
      'unsupported-specversion',
      `Unsupported CloudEvents specversion ${JSON.stringify(specversion)}; expected "1.0"`,
    );
  }
  // The usual event is checked without the schema; anything else meets it.
  const quick = quickEnvelope(value);
  if (quick !== undefined) return quick;
  try {
    return fromCloudEvent(value);
  } catch (error) {
    if (!isSwitchboardError(error, 'EVENT_VALIDATION')) throw error;
    throw new EventDecodeError('invalid-envelope', error.message, { cause: error });
  }
}

/**
 * The envelope as a CloudEvents structured-JSON string, ready for a transport.
 *
 * @example
 * import { encodeEvent, SystemEvents } from 'switchboard';
 * const message = encodeEvent(SystemEvents.healthCheck.create({ service: 'auth', status: 'healthy' }));
 */
export function encodeEvent(envelope: EventEnvelope): string {
  return JSON.stringify(toCloudEvent(envelope));
}

function textOf(raw: string | Uint8Array, maxBytes: number): string {
  if (typeof raw === 'string') {
    // A UTF-16 unit takes from 1 to 3 UTF-8 bytes: only lengths in between need a count.
    if (
      raw.length > maxBytes ||
      (raw.length * 3 > maxBytes && Buffer.byteLength(raw, 'utf8') > maxBytes)
    ) {
      throw tooLarge(maxBytes);
    }
    // A lone surrogate is what invalid UTF-8 becomes in a JavaScript string:
    // no encoder can carry it, and a handler would see a different string
    // after any round trip.
    if (!(raw as unknown as WellFormed).isWellFormed()) {
      throw new EventDecodeError('malformed-json', 'An event is not well-formed Unicode');
    }
    return raw;
  }
  if (raw.byteLength > maxBytes) throw tooLarge(maxBytes);
  try {
    return utf8.decode(raw);
  } catch (error) {
    throw new EventDecodeError('malformed-json', 'An event is not valid UTF-8', { cause: error });
  }
}

function parseJson(text: string): unknown {
  try {
    return SUSPICIOUS.test(text) ? JSON.parse(text, dropForbidden) : JSON.parse(text);
  } catch (error) {
    throw new EventDecodeError('malformed-json', 'An event is not valid JSON', { cause: error });
  }
}

// A reviver returning `undefined` deletes the key from the object being built.
function dropForbidden(key: string, value: unknown): unknown {
  return FORBIDDEN_KEYS.has(key) ? undefined : value;
}

function tooLarge(maxBytes: number): EventDecodeError {
  return new EventDecodeError('too-large', `An event is larger than maxBytes (${maxBytes})`);
}
