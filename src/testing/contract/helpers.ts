import { randomUUID } from 'node:crypto';
import type * as Vitest from 'vitest';
import type {
  DeadLetter,
  EventTransport,
  MessageHandler,
  SubscriptionSpec,
  TransportMessage,
} from '../../events/transport.js';

/** The part of vitest the contract suite uses, loaded when the suite is registered. */
export type VitestApi = {
  readonly describe: typeof Vitest.describe;
  readonly it: typeof Vitest.it;
  readonly expect: typeof Vitest.expect;
  readonly afterEach: typeof Vitest.afterEach;
};

/** What each group of scenarios gets. */
export type ContractContext = {
  readonly api: VitestApi;
  /** A new transport from the user's factory, closed after the test. */
  readonly open: () => Promise<EventTransport>;
};

/** Timings small enough for a fast suite, large enough for a real Redis. */
export const CLAIM_IDLE_MS = 150;
export const RETRY_DELAY_MS = 10;

/** A fresh name, so tests never share topics or groups (even on a shared Redis). */
export function unique(prefix: string): string {
  return `${prefix}-${randomUUID()}`;
}

/** A durable spec with the suite's defaults; `topics` and anything else overridable. */
export function spec(
  overrides: Partial<SubscriptionSpec> & Pick<SubscriptionSpec, 'topics'>,
): SubscriptionSpec {
  return {
    mode: 'durable',
    group: unique('group'),
    consumer: unique('consumer'),
    concurrency: 1,
    maxDeliveries: 3,
    retryDelayMs: () => RETRY_DELAY_MS,
    claimIdleMs: CLAIM_IDLE_MS,
    start: 'latest',
    ...overrides,
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `predicate` until it holds; fails the test after `timeoutMs`. */
export async function waitFor(
  predicate: () => boolean,
  timeoutMs = 5_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline)
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(5);
  }
}

/** A promise with its resolve function, to hold a handler until the test lets it go. */
export function gate(): { readonly promise: Promise<void>; open(): void } {
  let open = (): void => undefined;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

/** `count` payloads `"<prefix>-0"`, `"<prefix>-1"`, … */
export function payloads(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, index) => `${prefix}-${index}`);
}

/** A handler from a synchronous function (it succeeds unless `fn` throws). */
export function handle(fn: (message: TransportMessage) => void): MessageHandler {
  return (message) => {
    fn(message);
    return Promise.resolve();
  };
}

/** Polls the dead letters of `group` until there are at least `count`. */
export async function deadLettersOf(
  transport: EventTransport,
  group: string,
  count: number,
  timeoutMs = 5_000,
): Promise<DeadLetter[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const letters = await transport.deadLetters.list({ group });
    if (letters.length >= count) return letters;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${count} dead letters`);
    await sleep(10);
  }
}
