import { expect } from 'vitest';

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
