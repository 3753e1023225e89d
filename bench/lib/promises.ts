import { createHook } from 'node:async_hooks';

/**
 * How many promises `work` creates, counted by an `async_hooks` init hook
 * (which slows everything down while it is on: count in a round of its own,
 * never in a timed one). A promise costs more than its allocation on Node 20
 * once an `AsyncLocalStorage` is in use, and unlike throughput the count does
 * not move with the machine's noise.
 */
export async function countPromises(work: () => Promise<unknown>): Promise<number> {
  let count = 0;
  const hook = createHook({
    init(_id, type) {
      if (type === 'PROMISE') count += 1;
    },
  });
  hook.enable();
  try {
    await work();
  } finally {
    hook.disable();
  }
  return count;
}
