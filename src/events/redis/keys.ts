/**
 * Where everything lives in Redis (ADR 0009). Every key of a topic carries
 * the topic as its cluster hash tag, so a topic's stream, its dead letters and
 * its redrive streams sit in one slot and can share a `MULTI`.
 *
 * - `<prefix>:events:{<topic>}`: the topic's stream; one consumer group per subscribing service.
 * - `<prefix>:dead:{<topic>}`: dead letters of the topic, every group's.
 * - `<prefix>:redrive:{<topic>}:<group>`: dead letters sent back to one group;
 *   only that group reads it.
 * - `<prefix>:dead-topics`: the set of topics that ever had a dead letter, so
 *   listing needs no `SCAN`.
 * - `<prefix>:dedupe:<group>:<eventId>`: handled-event markers of the dedupe store.
 * - `<prefix>:trimmed:{<topic>}`: a hash, group → how many of the topic's
 *   events that group never read because trimming removed them first.
 */
export class RedisKeys {
  readonly prefix: string;

  constructor(prefix: string) {
    this.prefix = prefix;
  }

  stream(topic: string): string {
    return `${this.prefix}:events:{${topic}}`;
  }

  deadLetters(topic: string): string {
    return `${this.prefix}:dead:{${topic}}`;
  }

  redrive(topic: string, group: string): string {
    return `${this.prefix}:redrive:{${topic}}:${group}`;
  }

  trimmed(topic: string): string {
    return `${this.prefix}:trimmed:{${topic}}`;
  }

  deadTopics(): string {
    return `${this.prefix}:dead-topics`;
  }

  dedupe(key: string): string {
    return `${this.prefix}:dedupe:${key}`;
  }
}

/** The field of a stream entry that holds the encoded event. */
export const PAYLOAD_FIELD = 'payload';
/** On a redriven entry: the id the message had in the topic's stream. */
export const MESSAGE_ID_FIELD = 'messageId';
