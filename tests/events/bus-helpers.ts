import { afterEach, expect } from 'vitest';
import {
  EventBus,
  EventSubscriber,
  UserEvents,
  memoryTransport,
  type EventSubscriberOptions,
  type EventTransport,
  type Logger,
} from 'switchboard';

const closers: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/**
 * A bus on a fresh transport (memory unless given), and a `subscribe` that makes subscribers
 * with fast retries; everything is closed after the test.
 */
export function subscriberSetup(
  options: {
    maxEventBytes?: number;
    maxEventDepth?: number;
    logger?: Logger;
    transport?: () => EventTransport;
  } = {},
) {
  const { transport: makeTransport = () => memoryTransport(), ...busOptions } = options;
  const transport = makeTransport();
  const bus = new EventBus({ source: 'subscriber-test', transport, ...busOptions });
  closers.push(() => bus.close());
  const subscribe = (overrides: Partial<EventSubscriberOptions> = {}): EventSubscriber => {
    const subscriber = new EventSubscriber(bus, {
      group: 'g',
      retryBaseDelayMs: 1,
      retryMaxDelayMs: 5,
      ...overrides,
    });
    closers.push(() => subscriber.stop());
    return subscriber;
  };
  return { bus, transport, subscribe };
}

/** A `user.login` event for user `userId`. */
export const login = (userId = 1) => UserEvents.login.create({ userId, email: 'ada@example.com' });

/** Polls `check` until it stops throwing, for at most `timeoutMs`; rethrows its last error. */
export async function eventually(
  check: () => void | Promise<void>,
  timeoutMs = 2_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
}

/** Waits `ms` so that anything that should NOT happen has had the chance to. */
export function settle(ms = 50): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A promise with its resolve function, to hold a handler in flight. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open: () => void = () => undefined;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

/** Asserts that `promise` has not settled yet. */
export async function expectPending(promise: Promise<unknown>): Promise<void> {
  const marker = Symbol('pending');
  const first = await Promise.race([
    promise.then(
      () => 'settled',
      () => 'settled',
    ),
    settle(20).then(() => marker),
  ]);
  expect(first).toBe(marker);
}

/** One line a {@link recordingLogger} saw. */
export type LogLine = {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly context: Record<string, unknown>;
  readonly message: string | undefined;
};

/** A logger that keeps every line, at every level. */
export function recordingLogger(): { readonly logger: Logger; readonly lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at =
    (level: LogLine['level']) =>
    (context: Record<string, unknown>, message?: string): void => {
      lines.push({ level, context, message });
    };
  return {
    logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') },
    lines,
  };
}
