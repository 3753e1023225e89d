import { isRedisError, parseMap } from './stream-reply.js';
import type { RedisLink } from './redis-link.js';

/** What `XINFO STREAM` tells of a stream, in one atomic look. */
type StreamEnd = {
  /** Entries ever added (Redis 7's `entries-added`): trimming does not lower it. */
  readonly added: number;
  readonly length: number;
  readonly lastId: string;
  readonly firstId: string | undefined;
  /** The largest id removed by `XDEL` (trimming does not move it). */
  readonly maxDeletedId: string;
};

const NO_STREAM: StreamEnd = {
  added: 0,
  length: 0,
  lastId: '0-0',
  firstId: undefined,
  maxDeletedId: '0-0',
};

/**
 * Finds the entries a broadcast subscription never read because retention
 * (`maxLen` trimming) removed them first: while it was reconnecting, or while
 * it lagged behind a busy stream. A broadcast subscription reads without a
 * consumer group (`XREAD` after the last id it read), so Redis keeps no count
 * for it; this keeps one, as a group's lag is kept (ADR 0013, ADR 0020).
 *
 * Per stream it counts the entries accounted for up to the subscriber's
 * position: the stream's `entries-added` when it started at the end, plus one
 * per entry read, plus those already reported missed. The entries added after
 * the position that still exist are known when the subscriber has read the
 * last entry (none) or when its position is older than the first entry left
 * (all of them); then `entries-added − counted − existing after` is what it
 * missed. Otherwise nothing is counted until one of the two holds, at the
 * latest once it catches up. An `XDEL` in a range the subscriber may have
 * crossed since its last count makes the gap unknowable: the count starts
 * again there, reporting nothing, as it does when the stream was deleted and
 * re-created (fewer entries added than counted).
 */
export class MissedEntries {
  readonly #link: RedisLink;
  readonly #counted = new Map<string, number>();
  /** The position at the last count: a deletion past it may have been crossed since. */
  readonly #countedAt = new Map<string, string>();

  constructor(link: RedisLink) {
    this.#link = link;
  }

  /** Starts counting `key` at its end now, and returns that position (its last id). */
  async start(key: string): Promise<string> {
    const end = await this.#look(key);
    this.#counted.set(key, end.added);
    this.#countedAt.set(key, end.lastId);
    return end.lastId;
  }

  /** The subscriber read one entry of `key`. */
  read(key: string): void {
    this.#counted.set(key, (this.#counted.get(key) ?? 0) + 1);
  }

  /** Entries of `key` removed before the subscriber at `position` read them, not reported before. */
  async check(key: string, position: string): Promise<number> {
    const end = await this.#look(key);
    // Redis before 7 keeps no `entries-added`: nothing can be counted.
    if (!Number.isInteger(end.added)) return 0;
    let existingAfter: number;
    if (end.length === 0 || compareStreamIds(position, end.lastId) >= 0) existingAfter = 0;
    else if (end.firstId !== undefined && compareStreamIds(position, end.firstId) < 0) {
      existingAfter = end.length;
    } else return 0;
    const missed = end.added - existingAfter - (this.#counted.get(key) ?? 0);
    const deletedSince = compareStreamIds(end.maxDeletedId, this.#countedAt.get(key) ?? '0-0') > 0;
    this.#counted.set(key, end.added - existingAfter);
    this.#countedAt.set(key, position);
    return deletedSince || missed < 0 ? 0 : missed;
  }

  async #look(key: string): Promise<StreamEnd> {
    let reply: unknown;
    try {
      reply = await this.#link.call('look at a stream', ['XINFO', 'STREAM', key]);
    } catch (error) {
      if (isRedisError(error, 'ERR no such key')) return NO_STREAM;
      throw error;
    }
    const info = parseMap(reply);
    const first = info.get('first-entry');
    return {
      added: Number(info.get('entries-added')),
      length: Number(info.get('length')),
      lastId: idOr(info.get('last-generated-id'), '0-0'),
      firstId: Array.isArray(first) ? idOr(first[0], undefined) : undefined,
      maxDeletedId: idOr(info.get('max-deleted-entry-id'), '0-0'),
    };
  }
}

function idOr<T>(value: unknown, fallback: T): string | T {
  return typeof value === 'string' ? value : fallback;
}

/** Orders stream ids (`<ms>-<seq>`) as Redis does. */
export function compareStreamIds(a: string, b: string): number {
  const [aMs = 0, aSeq = 0] = a.split('-').map(Number);
  const [bMs = 0, bSeq = 0] = b.split('-').map(Number);
  return aMs - bMs || aSeq - bSeq;
}
