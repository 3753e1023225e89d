import { Cluster } from 'ioredis';
import type { RedisClient } from '../../internal/redis/connection.js';
import { MAX_TIMER_MS } from '../../internal/options.js';
import type { SubscriptionSpec } from '../transport.js';
import { BlockingReader } from './blocking-reader.js';
import type { StreamRef, SubscriptionHost } from './held-message.js';
import { ReadOutage } from './read-outage.js';
import { parseReadReply, type StreamEntry } from './stream-reply.js';

/**
 * How a subscription splits its streams between blocking reads. On a single
 * Redis one `XREAD`/`XREADGROUP` covers them all. A cluster refuses a
 * command whose keys hash to different slots (`CROSSSLOT`), and every topic
 * is a hash tag of its own, so there each topic gets a read, and a
 * connection, of its own: a subscription holds one blocking connection per
 * topic (plus the transport's command connections).
 */
export function readLanes<T extends { readonly key: string }>(
  client: RedisClient,
  streams: readonly T[],
): T[][] {
  return client instanceof Cluster ? streams.map((stream) => [stream]) : [[...streams]];
}

/**
 * One blocking read loop's share of a consumer group subscription: its topic
 * streams (all of them on a single Redis, one on a cluster), the connection
 * it blocks on, its outage state, and the pending history of a previous life
 * under the same consumer name still to be read back.
 */
export class GroupLane {
  readonly streams: readonly StreamRef[];
  readonly reader: BlockingReader;
  readonly outage: ReadOutage;
  /** Its streams (redrive streams included) whose own pending history is still to be read, and after which id. */
  readonly history = new Map<StreamRef, string>();
  /** The lane's read loop, once started. */
  loop: Promise<void> = Promise.resolve();
  readonly #spec: SubscriptionSpec;
  readonly #blockMs: number;
  /** `STREAMS key… >…`: the same for every read. */
  readonly #streamsArgs: readonly string[];

  /** @param all - every stream of the subscription; the lane's topics' redrive streams join its history. */
  constructor(
    spec: SubscriptionSpec,
    host: SubscriptionHost,
    streams: readonly StreamRef[],
    all: readonly StreamRef[],
  ) {
    this.#spec = spec;
    this.#blockMs = Math.min(host.options.blockMs, MAX_TIMER_MS);
    this.streams = streams;
    const keys = streams.map((stream) => stream.key);
    this.#streamsArgs = ['STREAMS', ...keys, ...keys.map(() => '>')];
    this.outage = new ReadOutage(spec, host.options.logger);
    const topics = new Set(streams.map((stream) => stream.topic));
    for (const stream of all) if (topics.has(stream.topic)) this.history.set(stream, '0');
    const silentAfterMs = host.options.blockMs + host.options.commandTimeoutMs;
    this.reader = new BlockingReader(host.link, this.outage, silentAfterMs);
  }

  /**
   * `XREADGROUP … COUNT count BLOCK` of new entries on the lane's topic
   * streams only: redriven letters are rare, housekeeping reads them.
   */
  async read(count: number): Promise<Map<string, StreamEntry[]>> {
    const { group, consumer } = this.#spec;
    const reply = await this.reader.read('XREADGROUP', [
      'GROUP',
      group,
      consumer,
      'COUNT',
      count,
      'BLOCK',
      this.#blockMs,
      ...this.#streamsArgs,
    ]);
    return parseReadReply(reply);
  }
}
