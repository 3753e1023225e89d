import type { Logger } from '../../logger.js';
import type { SubscriptionSpec } from '../transport.js';
import type { GroupCommands } from './group-commands.js';
import type { StreamRef } from './held-message.js';
import type { RedisLink } from './redis-link.js';
import type { StreamEntry } from './stream-reply.js';
import type { TrimLosses } from './trim-losses.js';

/**
 * What the parts of one durable consumer (its housekeeping, its retries)
 * share with the subscription that owns them.
 */
export type ConsumerCore = {
  readonly spec: SubscriptionSpec;
  readonly commands: GroupCommands;
  readonly link: RedisLink;
  readonly logger: Logger;
  readonly trimLosses: TrimLosses;
  /** No more reading, housekeeping or retries. */
  stopped(): boolean;
  /** Nothing more runs: what is taken now would never be handled. */
  abandoned(): boolean;
  /** Takes an entry this consumer now holds, delivered `deliveryCount` times. */
  admit(stream: StreamRef, entry: StreamEntry, deliveryCount: number): void;
  /** Starts what the admitted messages' free slots allow. */
  pump(): void;
  /** Tracks background work a draining stop waits for. */
  inBackground(work: Promise<void>): void;
};
