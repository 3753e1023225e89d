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

/** Why a message was dead-lettered, and with what. */
export type DeadLetterCause = {
  readonly reason: string;
  readonly error: unknown;
  readonly deliveryCount: number;
};

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
  readonly #acks = new Map<
    StreamRef,
    {
      readonly ids: string[];
      readonly waiters: { resolve: () => void; reject: (error: unknown) => void }[];
    }
  >();

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
    }
  }

  /**
   * Acknowledges a message. Acknowledgements made in the same tick go out as
   * one `XACK` per stream: handlers that finish together cost one command.
   */
  ack({ stream, entryId }: HeldMessage): Promise<void> {
    return new Promise((resolve, reject) => {
      let batch = this.#acks.get(stream);
      if (batch === undefined) {
        batch = { ids: [], waiters: [] };
        this.#acks.set(stream, batch);
        if (this.#acks.size === 1) {
          queueMicrotask(() => {
            this.#flushAcks();
          });
        }
      }
      batch.ids.push(entryId);
      batch.waiters.push({ resolve, reject });
    });
  }

  #flushAcks(): void {
    const batches = [...this.#acks];
    this.#acks.clear();
    for (const [stream, { ids, waiters }] of batches) {
      const ack: Command = ['XACK', stream.key, this.group, ...ids];
      // A redriven entry is only this group's: nothing else will read it again.
      const sent = stream.redrive
        ? this.#link.multi('acknowledge', [ack, ['XDEL', stream.key, ...ids]])
        : this.#link.call('acknowledge', ack);
      sent.then(
        () => {
          for (const waiter of waiters) waiter.resolve();
        },
        (error: unknown) => {
          for (const waiter of waiters) waiter.reject(error);
        },
      );
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
    const reply = await this.#link.call('retry', [
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
   * Entries of `stream` the group has not read yet (`XINFO GROUPS`, Redis 7);
   * `undefined` when Redis cannot tell (an older server, or after deletions).
   */
  async lag(stream: StreamRef): Promise<number | undefined> {
    const groups = await this.#link.call('read the lag', ['XINFO', 'GROUPS', stream.key]);
    for (const raw of Array.isArray(groups) ? (groups as unknown[]) : []) {
      const info = parseMap(raw);
      if (String(info.get('name')) !== this.group) continue;
      const lag = info.get('lag');
      return lag === null || lag === undefined ? undefined : Number(lag);
    }
    return undefined;
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
  }> {
    const reply = parseAutoClaimReply(
      await this.#link.call('claim abandoned messages', [
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
    return { cursor: reply.cursor, claimed: await this.withDeliveryCounts(stream, reply.entries) };
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
      await this.#link.call(operation, [
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
