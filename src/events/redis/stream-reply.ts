import { TransportError } from '../../errors.js';

/**
 * Reads Redis replies into plain values. Replies are checked, not cast: a reply of an unexpected shape is a
 * bug or a foreign client setting, and fails loudly instead of losing entries.
 */

/** One stream entry: its id and its fields, `null` when it was deleted while pending. */
export type StreamEntry = {
  readonly id: string;
  readonly fields: ReadonlyMap<string, string> | null;
  /**
   * Fields whose value was not valid UTF-8 (read from a reply of Buffers):
   * their text holds U+FFFD in place of each bad sequence. Absent when none.
   */
  readonly invalidText?: ReadonlySet<string>;
};

/**
 * `XREAD`/`XREADGROUP`: entries per stream key; nothing at all when the read
 * timed out. The reply is a map under RESP3, which ioredis hands over as a
 * flat `[key, entries, key, entries]` list (its default `replyMapping`) or an
 * object (`replyMapping: 'resp3'`), and a list of `[key, entries]` pairs
 * under RESP2: all three are read, whatever the client was configured with.
 */
export function parseReadReply(reply: unknown): Map<string, StreamEntry[]> {
  const streams = new Map<string, StreamEntry[]>();
  if (reply === null || reply === undefined) return streams;
  if (reply instanceof Map) {
    for (const [key, entries] of reply) streams.set(text(key, 'stream key'), parseEntries(entries));
    return streams;
  }
  if (!Array.isArray(reply)) {
    if (typeof reply !== 'object') throw new TypeError('Unexpected Redis reply: XREAD reply');
    for (const [key, entries] of Object.entries(reply)) streams.set(key, parseEntries(entries));
    return streams;
  }
  const list = reply as unknown[];
  if (list.length > 0 && !Array.isArray(list[0])) {
    for (let i = 0; i + 1 < list.length; i += 2) {
      streams.set(text(list[i], 'stream key'), parseEntries(list[i + 1]));
    }
    return streams;
  }
  for (const stream of list) {
    const [key, entries] = array(stream, 'XREAD stream');
    streams.set(text(key, 'stream key'), parseEntries(entries));
  }
  return streams;
}

/** `XAUTOCLAIM`: the next cursor, the claimed entries and the ids deleted while pending (Redis 7). */
export function parseAutoClaimReply(reply: unknown): {
  readonly cursor: string;
  readonly entries: StreamEntry[];
  readonly deleted: string[];
} {
  const [cursor, entries, deleted] = array(reply, 'XAUTOCLAIM reply');
  return {
    cursor: text(cursor, 'XAUTOCLAIM cursor'),
    entries: parseEntries(entries),
    deleted: deleted === undefined ? [] : array(deleted, 'XAUTOCLAIM deleted').map(String),
  };
}

/** A list of entries: `XRANGE`, `XCLAIM`, and inside the replies above. */
export function parseEntries(reply: unknown): StreamEntry[] {
  return array(reply, 'stream entries').map((raw) => {
    const [id, fields] = array(raw, 'stream entry');
    const entryId = text(id, 'entry id');
    if (fields === null) return { id: entryId, fields: null };
    const parsed = new Map<string, string>();
    const invalid = parseFields(fields, parsed);
    return invalid === undefined
      ? { id: entryId, fields: parsed }
      : { id: entryId, fields: parsed, invalidText: invalid };
  });
}

/** `XPENDING key group start end count [consumer]`: delivery counts by id. */
export function parsePendingCounts(reply: unknown): Map<string, number> {
  const counts = new Map<string, number>();
  for (const raw of array(reply, 'XPENDING reply')) {
    const [id, , , count] = array(raw, 'XPENDING entry');
    counts.set(text(id, 'pending id'), Number(count));
  }
  return counts;
}

/**
 * A reply that is a map under RESP3 and a flat `[key, value, …]` list under
 * RESP2 (`XINFO`): a map either way.
 */
export function parseMap(reply: unknown): Map<string, unknown> {
  if (reply instanceof Map) return new Map([...reply].map(([key, value]) => [String(key), value]));
  if (!Array.isArray(reply)) {
    if (typeof reply !== 'object' || reply === null)
      throw new TypeError('Unexpected Redis reply: not a map');
    return new Map(Object.entries(reply));
  }
  const list = reply as unknown[];
  const map = new Map<string, unknown>();
  for (let i = 0; i + 1 < list.length; i += 2) map.set(text(list[i], 'map key'), list[i + 1]);
  return map;
}

/** Fills `fields` from an entry's field list; returns the names of those not valid UTF-8, if any. */
function parseFields(reply: unknown, fields: Map<string, string>): Set<string> | undefined {
  const list = array(reply, 'entry fields');
  // Made only when needed: this runs for every entry read.
  let invalid: Set<string> | undefined;
  for (let i = 0; i + 1 < list.length; i += 2) {
    const name = text(list[i], 'field name');
    const value = list[i + 1];
    if (Buffer.isBuffer(value)) {
      try {
        fields.set(name, utf8.decode(value));
      } catch {
        (invalid ??= new Set()).add(name);
        fields.set(name, value.toString('utf8'));
      }
    } else {
      fields.set(name, text(value, 'field value'));
    }
  }
  return invalid;
}

// Entry values arrive as Buffers (`callBuffer`), so bytes that are not UTF-8
// are seen as such, not silently turned into U+FFFD by the client. A leading
// byte order mark is dropped, as `decodeEvent` drops it from bytes.
const utf8 = new TextDecoder('utf-8', { fatal: true });

function array(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw new TypeError(`Unexpected Redis reply: ${what} is not a list`);
  return value as unknown[];
}

function text(value: unknown, what: string): string {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  throw new TypeError(`Unexpected Redis reply: ${what} is not a string`);
}

/** True for a Redis error reply starting with `code` (`NOGROUP`, `BUSYGROUP`, …), wrapped or not. */
export function isRedisError(error: unknown, code: string): boolean {
  const cause = error instanceof TransportError ? error.cause : error;
  return cause instanceof Error && cause.message.startsWith(code);
}
