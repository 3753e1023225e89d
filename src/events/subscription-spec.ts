import {
  functionOption,
  integerOption,
  invalidOption,
  nameOption,
  timerOption,
} from '../internal/options.js';
import type { SubscriptionSpec } from './transport.js';

/** How a transport's message ids look, for checking `start: { afterId }`. */
export type MessageIdFormat = { readonly pattern: RegExp; readonly description: string };

/**
 * Checks a subscription spec eagerly. The bus applies defaults, but a
 * transport is public API of its own (users and the contract suite call it).
 */
export function validateSpec(spec: SubscriptionSpec, ids: MessageIdFormat): void {
  if (!Array.isArray(spec.topics) || spec.topics.length === 0) {
    invalidOption('topics', 'expected a non-empty array of topic names', TypeError);
  }
  for (const topic of spec.topics) nameOption('topics', topic);
  // Checked at run time for JavaScript callers, whatever the type says.
  const mode: unknown = spec.mode;
  if (mode !== 'durable' && mode !== 'broadcast') {
    invalidOption('mode', `expected 'durable' or 'broadcast'`, TypeError);
  }
  nameOption('group', spec.group);
  nameOption('consumer', spec.consumer);
  integerOption('concurrency', spec.concurrency);
  integerOption('maxDeliveries', spec.maxDeliveries);
  functionOption('retryDelayMs', spec.retryDelayMs);
  timerOption('claimIdleMs', spec.claimIdleMs);
  const { start } = spec;
  const afterId: unknown = typeof start === 'object' ? start.afterId : start;
  if (
    start !== 'latest' &&
    start !== 'earliest' &&
    !(typeof afterId === 'string' && ids.pattern.test(afterId))
  ) {
    invalidOption('start', `expected ${ids.description} as \`afterId\``, TypeError);
  }
}
