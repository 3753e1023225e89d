import type { TransportMessage } from '../transport.js';
import { MESSAGE_ID_FIELD, PAYLOAD_FIELD, type RedisKeys } from './keys.js';
import type { RedisLink } from './redis-link.js';
import type { ResolvedRedisOptions } from './redis-options.js';
import type { StreamEntry } from './stream-reply.js';

/** What a subscription (durable or broadcast) needs from its transport. */
export type SubscriptionHost = {
  readonly link: RedisLink;
  readonly keys: RedisKeys;
  readonly options: ResolvedRedisOptions;
  readonly onStopped: () => void;
};

/** A stream a subscription reads: a topic's stream, or its group's redrive stream. */
export type StreamRef = {
  readonly key: string;
  readonly topic: string;
  /** Dead letters sent back to this group: acknowledged entries are deleted too. */
  readonly redrive: boolean;
};

/**
 * A message this consumer holds in its group's pending list: buffered,
 * running, waiting for a retry, or being acknowledged. Held messages have
 * their lease renewed, so no other consumer claims them while this one lives.
 */
export type HeldMessage = {
  readonly stream: StreamRef;
  /** The entry id in `stream` (for a redriven message, not the message id). */
  readonly entryId: string;
  readonly message: TransportMessage;
};

/** The key of a held message in the subscription's maps. */
export function heldKey(stream: StreamRef, entryId: string): string {
  return `${stream.key}\n${entryId}`;
}

/** Exponential backoff with full jitter for background retries against Redis: 100 ms … 5 s. */
export function redisBackoffMs(attempt: number): number {
  return Math.random() * Math.min(5_000, 100 * 2 ** Math.min(attempt, 10));
}

/** A held message from a stream entry; a redriven entry keeps the id it had in the topic's stream. */
export function toHeld(stream: StreamRef, entry: StreamEntry, deliveryCount: number): HeldMessage {
  const fields = entry.fields;
  const id = stream.redrive ? (fields?.get(MESSAGE_ID_FIELD) ?? entry.id) : entry.id;
  const payload = fields?.get(PAYLOAD_FIELD) ?? '';
  const message = entry.invalidText?.has(PAYLOAD_FIELD)
    ? { id, topic: stream.topic, payload, deliveryCount, invalidText: true as const }
    : { id, topic: stream.topic, payload, deliveryCount };
  return { stream, entryId: entry.id, message };
}
