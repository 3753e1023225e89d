import { silentLogger, type Logger } from '../../logger.js';
import { integerOption } from '../../internal/options.js';

/**
 * Options of {@link memoryTransport}.
 *
 * @example
 * import { memoryTransport } from 'switchboard';
 * const transport = memoryTransport({ maxLenPerTopic: 1_000 });
 */
export type MemoryTransportOptions = {
  /**
   * How many messages a topic's log keeps. Past it, the oldest messages that
   * every existing group has acknowledged are dropped. A group that falls
   * behind keeps its unread messages, but trimming can drop messages no group
   * has read yet when the topic has no group, so a group created later with
   * `start: 'earliest'` (or an old `afterId`) never sees them.
   * @default 10_000
   */
  readonly maxLenPerTopic?: number;
  /**
   * Where warnings go (a broadcast message dropped, a broadcast handler failing).
   * @default silentLogger
   */
  readonly logger?: Logger;
};

/** The options with their defaults applied. */
export type ResolvedMemoryOptions = {
  readonly maxLenPerTopic: number;
  readonly logger: Logger;
};

/** Messages queued for a busy broadcast subscription before new ones are dropped. */
export const BROADCAST_QUEUE_LIMIT = 1_000;

/** Dead letters kept before the oldest are dropped. */
export const DEAD_LETTER_LIMIT = 10_000;

/** Applies the defaults and validates, without touching the caller's object. */
export function resolveMemoryOptions(options: MemoryTransportOptions = {}): ResolvedMemoryOptions {
  return {
    maxLenPerTopic: integerOption('maxLenPerTopic', options.maxLenPerTopic ?? 10_000),
    logger: options.logger ?? silentLogger,
  };
}
