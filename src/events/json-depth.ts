/**
 * The default nesting limit of received events: objects and arrays, the
 * envelope counting as 1 (so `data`'s own fields are at depth 2).
 *
 * @example
 * import { DEFAULT_MAX_EVENT_DEPTH, decodeEvent } from 'switchboard';
 * decodeEvent(message, { maxDepth: 2 * DEFAULT_MAX_EVENT_DEPTH });
 */
export const DEFAULT_MAX_EVENT_DEPTH = 64;

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * True when the JSON text nests objects and arrays deeper than `maxDepth`,
 * read without parsing (brackets inside strings do not count). `JSON.parse`
 * itself copes with any depth, but what comes after it does not: a reviver,
 * `JSON.stringify`, a schema or the handler's own code recurse, and overflow
 * the stack at some thousands of levels.
 */
export function nestsDeeperThan(text: string, maxDepth: number): boolean {
  // Text with no more opening brackets than the limit cannot nest past it:
  // the usual event is decided by two indexOf scans, not a loop in JavaScript.
  if (countUpTo(text, '{', maxDepth + 1) + countUpTo(text, '[', maxDepth + 1) <= maxDepth) {
    return false;
  }
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > maxDepth) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}

function countUpTo(text: string, char: string, limit: number): number {
  let count = 0;
  for (let i = text.indexOf(char); i !== -1 && count < limit; i = text.indexOf(char, i + 1)) {
    count++;
  }
  return count;
}
