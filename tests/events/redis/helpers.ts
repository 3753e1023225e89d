import { randomUUID } from 'node:crypto';
import type { SubscriptionSpec } from 'switchboard';

/** A durable spec on topic `orders` for group `billing`, with a fresh consumer name. */
export function orderSpec(overrides: Partial<SubscriptionSpec> = {}): SubscriptionSpec {
  return {
    topics: ['orders'],
    mode: 'durable',
    group: 'billing',
    consumer: `consumer-${randomUUID()}`,
    concurrency: 4,
    maxDeliveries: 5,
    retryDelayMs: () => 10,
    claimIdleMs: 300,
    start: 'earliest',
    ...overrides,
  };
}

/** Polls `predicate` until it holds; fails with `what` after `timeoutMs`. */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
