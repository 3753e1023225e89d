import { errorText } from '../handler-outcome.js';
import type { RedisKeys } from './keys.js';
import type { HeldMessage, StreamRef } from './held-message.js';
import type { Command, RedisLink } from './redis-link.js';
import {
  parseAutoClaimReply,
  parseEntries,
  parseMap,
  parseReadReply,
  parsePendingCounts,
  type StreamEntry,
} from './stream-reply.js';
import { isRedisError } from './stream-reply.js';

/**
 * Deletes a consumer from a group only if it holds no pending entry (deleting
 * a consumer drops its pending entries, which would lose them).
 * KEYS[1] stream; ARGV[1] group, ARGV[2] consumer.
 */
const DELETE_IDLE_CONSUMER = `
if #redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2]) == 0 then
  return redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
end
return -1`;

/**
 * The group's lag, less what it will never read because trimming removed it,
 * and how many such events this call found that no consumer had reported yet.
 *
 * Redis counts a group's lag as entries added minus entries read, and trimming
 * does not change the count: events trimmed before the group read them stay
 * in its lag for good. That surplus can be measured whenever the group's true
 * lag is known: 0 when it has read the last entry (or the stream is empty),
 * the stream's length when its last read entry is older than the first entry
 * left. The largest surplus seen is kept in a hash beside the stream, so each
 * lost event is reported once per group, by whichever consumer sees it first.
 * Returns { -1, 0 } when Redis cannot tell the lag (an older Redis, deletions).
 * KEYS[1] stream, KEYS[2] trimmed-counts hash; ARGV[1] group.
 */
const READ_LAG = `
local function get(list, name)
  for i = 1, #list, 2 do
    if list[i] == name then return list[i + 1] end
  end
end
local function older(a, b)
  local ams, aseq = string.match(a, '^(%d+)-(%d+)$')
  local bms, bseq = string.match(b, '^(%d+)-(%d+)$')
  if tonumber(ams) ~= tonumber(bms) then return tonumber(ams) < tonumber(bms) end
  return tonumber(aseq) < tonumber(bseq)
end
local group
for _, info in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
  if get(info, 'name') == ARGV[1] then group = info end
end
if group == nil then return { -1, 0 } end
local lag = get(group, 'lag')
if type(lag) ~= 'number' then return { -1, 0 } end
local stream = redis.call('XINFO', 'STREAM', KEYS[1])
local length = get(stream, 'length')
local delivered = get(group, 'last-delivered-id')
local first = get(stream, 'first-entry')
local surplus
if length == 0 or delivered == get(stream, 'last-generated-id') then
  surplus = lag
elseif first and older(delivered, first[1]) then
  surplus = lag - length
end
local known = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
local found = 0
if surplus ~= nil and surplus > known then
  redis.call('HSET', KEYS[2], ARGV[1], surplus)
  found = surplus - known
  known = surplus
end
return { math.max(lag - known, 0), found }`;

/** Why a message was dead-lettered, and with what. */
export type DeadLetterCause = {
  readonly reason: string;
  readonly error: unknown;
  readonly deliveryCount: number;
};

/**
 * The acknowledgements of one stream in one tick. They share one promise:
 * a promise per message would cost every acknowledgement a promise more.
 */
class AckBatch {
  readonly ids: string[] = [];
  readonly done: Promise<void>;
  resolve!: () => void;
  reject!: (error: unknown) => void;

  constructor() {
    this.done = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }
}

/**
 * The Redis commands of one consumer in one group: create the group,
 * acknowledge, dead-letter, retry (re-claim with a new delivery), renew
 * leases, and take over messages abandoned by dead consumers.
 */
export class GroupCommands {
  readonly group: string;
  readonly consumer: string;
  readonly #link: RedisLink;
  readonly #keys: RedisKeys;
  readonly #deadLetterMaxLen: number;
  /** This tick's acknowledgements, per stream: one `XACK` each, one promise for all its ids. */
  readonly #acks = new Map<StreamRef, AckBatch>();

  constructor(
    link: RedisLink,
    keys: RedisKeys,
    group: string,
    consumer: string,
    deadLetterMaxLen: number,
  ) {
    this.#link = link;
    this.#keys = keys;
    this.group = group;
    this.consumer = consumer;
    this.#deadLetterMaxLen = deadLetterMaxLen;
  }

  /** `XGROUP CREATE … MKSTREAM`; a group that already exists keeps its position. */
  async createGroup(stream: StreamRef, startId: string): Promise<void> {
    try {
      await this.#link.call('create a consumer group', [
        'XGROUP',
        'CREATE',
        stream.key,
        this.group,
        startId,
        'MKSTREAM',
      ]);
    } catch (error) {
      if (!isRedisError(error, 'BUSYGROUP')) throw error;
      return;
    }
    if (!stream.redrive) {
      // A new group (or one re-created after Redis lost it) starts with a
      // clean count of events trimmed past it.
      await this.#link.call('reset the trimmed count', [
        'HDEL',
        this.#keys.trimmed(stream.topic),
        this.group,
      ]);
    }
  }

  /**
   * Acknowledges a message. Acknowledgements made in the same tick go out as
   * one `XACK` per stream: handlers that finish together cost one command.
   * Flushed on `process.nextTick`, which runs once the tick's microtasks are
   * all done (a microtask would flush before the handlers settling in the
   * same tick had their turn).
   */
  ack({ stream, entryId }: HeldMessage): Promise<void> {
    let batch = this.#acks.get(stream);
    if (batch === undefined) {
      batch = new AckBatch();
      this.#acks.set(stream, batch);
      if (this.#acks.size === 1) {
        process.nextTick(() => {
          this.#flushAcks();
        });
      }
    }
    batch.ids.push(entryId);
    return batch.done;
  }

  #flushAcks(): void {
    const batches = [...this.#acks];
    this.#acks.clear();
    for (const [stream, batch] of batches) {
      const { ids } = batch;
      const ack: Command = ['XACK', stream.key, this.group, ...ids];
      // A redriven entry is only this group's: nothing else will read it again.
      const sent = stream.redrive
        ? this.#link.multi('acknowledge', [ack, ['XDEL', stream.key, ...ids]])
        : this.#link.call('acknowledge', ack);
      sent.then(batch.resolve, batch.reject);
    }
  }

  /** Stores the dead letter and acknowledges the message in one transaction. */
  async deadLetter(held: HeldMessage, cause: DeadLetterCause): Promise<void> {
    const { stream, entryId, message } = held;
    await this.#link.call('dead-letter', ['SADD', this.#keys.deadTopics(), stream.topic]);
    const commands: Command[] = [
      [
        'XADD',
        this.#keys.deadLetters(stream.topic),
        'MAXLEN',
        '~',
        this.#deadLetterMaxLen,
        '*',
        'topic',
        stream.topic,
        'group',
        this.group,
        'messageId',
        message.id,
        'payload',
        message.payload,
        'reason',
        cause.reason,
        'error',
        errorText(cause.error),
        'deliveryCount',
        cause.deliveryCount,
        'failedAt',
        Date.now(),
      ],
      ['XACK', stream.key, this.group, entryId],
    ];
    if (stream.redrive) commands.push(['XDEL', stream.key, entryId]);
    await this.#link.multi('dead-letter', commands);
  }

  /** Takes the message back for a new delivery (Redis counts it); `undefined` once it is gone. */
  async reclaim({ stream, entryId }: HeldMessage): Promise<StreamEntry | undefined> {
    const reply = await this.#link.callBuffer('retry', [
      'XCLAIM',
      stream.key,
      this.group,
      this.consumer,
      0,
      entryId,
    ]);
    return parseEntries(reply)[0];
  }

  /** Resets the idle time of held messages without counting a delivery (`JUSTID`). */
  async renew(stream: StreamRef, entryIds: readonly string[]): Promise<void> {
    await this.#link.call('renew leases', [
      'XCLAIM',
      stream.key,
      this.group,
      this.consumer,
      0,
      ...entryIds,
      'JUSTID',
    ]);
  }

  /**
   * Removes `consumer` from the group if it holds nothing, so consumer names
   * of processes long gone do not pile up in Redis.
   */
  async retire(stream: StreamRef, consumer = this.consumer): Promise<void> {
    await this.#link.call('retire a consumer', [
      'EVAL',
      DELETE_IDLE_CONSUMER,
      1,
      stream.key,
      this.group,
      consumer,
    ]);
  }

  /** Retires the group's other consumers that hold nothing and have been silent for `idleMs`. */
  async retireSilent(stream: StreamRef, idleMs: number): Promise<void> {
    const consumers = await this.#link.call('list consumers', [
      'XINFO',
      'CONSUMERS',
      stream.key,
      this.group,
    ]);
    for (const raw of Array.isArray(consumers) ? (consumers as unknown[]) : []) {
      const info = parseMap(raw);
      const name = String(info.get('name'));
      if (name === this.consumer) continue;
      if (Number(info.get('pending')) === 0 && Number(info.get('idle')) > idleMs) {
        await this.retire(stream, name);
      }
    }
  }

  /**
   * Entries of `stream` the group has not read yet (`XINFO GROUPS`, Redis 7),
   * `undefined` when Redis cannot tell (an older server, or after deletions);
   * and how many events trimming removed before the group read them that no
   * consumer of the group had found before (see `READ_LAG`).
   */
  async lag(
    stream: StreamRef,
  ): Promise<{ readonly lag: number | undefined; readonly trimmed: number }> {
    const reply = await this.#link.call('read the lag', [
      'EVAL',
      READ_LAG,
      2,
      stream.key,
      this.#keys.trimmed(stream.topic),
      this.group,
    ]);
    const [lag, trimmed] = Array.isArray(reply) ? reply.map(Number) : [];
    return {
      lag: lag === undefined || !(lag >= 0) ? undefined : lag,
      trimmed: trimmed !== undefined && trimmed > 0 ? trimmed : 0,
    };
  }

  /** Whether the entry is still in the stream (`XRANGE id id`). */
  async exists(stream: StreamRef, entryId: string): Promise<boolean> {
    const reply = await this.#link.call('look for an entry', [
      'XRANGE',
      stream.key,
      entryId,
      entryId,
    ]);
    return Array.isArray(reply) && reply.length > 0;
  }

  /**
   * `XAUTOCLAIM`: up to `count` messages idle for `minIdleMs` on any consumer
   * of the group, with the delivery count each now has.
   */
  async claimIdle(
    stream: StreamRef,
    minIdleMs: number,
    cursor: string,
    count: number,
  ): Promise<{
    readonly cursor: string;
    readonly claimed: { readonly entry: StreamEntry; readonly deliveryCount: number }[];
    /** Pending entries that were no longer in the stream (trimmed): Redis dropped them. */
    readonly deleted: number;
  }> {
    const reply = parseAutoClaimReply(
      await this.#link.callBuffer('claim abandoned messages', [
        'XAUTOCLAIM',
        stream.key,
        this.group,
        this.consumer,
        Math.ceil(minIdleMs),
        cursor,
        'COUNT',
        count,
      ]),
    );
    // XAUTOCLAIM does not say how often each was delivered.
    return {
      cursor: reply.cursor,
      claimed: await this.withDeliveryCounts(stream, reply.entries),
      deleted: reply.deleted.length,
    };
  }

  /** New entries of `stream` for this consumer, without blocking (`XREADGROUP … >`). */
  async readNew(stream: StreamRef, count: number): Promise<StreamEntry[]> {
    return this.#readGroup('read redriven messages', stream, '>', count);
  }

  /**
   * This consumer's own pending entries from before (a restart under the same
   * name), after `afterId`: delivered again at once, not after `claimIdleMs`.
   */
  async ownHistory(
    stream: StreamRef,
    afterId: string,
    count: number,
  ): Promise<{ readonly entry: StreamEntry; readonly deliveryCount: number }[]> {
    const entries = await this.#readGroup('read own pending messages', stream, afterId, count);
    return this.withDeliveryCounts(stream, entries);
  }

  /** A non-blocking `XREADGROUP` of one stream: new entries (`>`) or this consumer's own after an id. */
  async #readGroup(
    operation: string,
    stream: StreamRef,
    id: string,
    count: number,
  ): Promise<StreamEntry[]> {
    const reply = parseReadReply(
      await this.#link.callBuffer(operation, [
        'XREADGROUP',
        'GROUP',
        this.group,
        this.consumer,
        'COUNT',
        count,
        'STREAMS',
        stream.key,
        id,
      ]),
    );
    return reply.get(stream.key) ?? [];
  }

  /** The delivery count each of `entries` (claimed by this consumer) has now, from `XPENDING`. */
  async withDeliveryCounts(
    stream: StreamRef,
    entries: readonly StreamEntry[],
  ): Promise<{ readonly entry: StreamEntry; readonly deliveryCount: number }[]> {
    const first = entries[0];
    const last = entries.at(-1);
    if (first === undefined || last === undefined) return [];
    const counts = parsePendingCounts(
      await this.#link.call('read delivery counts', [
        'XPENDING',
        stream.key,
        this.group,
        first.id,
        last.id,
        // Other messages this consumer holds may sit in the same id range.
        entries.length + 1_000,
        this.consumer,
      ]),
    );
    return entries.map((entry) => ({ entry, deliveryCount: counts.get(entry.id) ?? 1 }));
  }
}
