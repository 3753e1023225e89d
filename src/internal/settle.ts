/** Runs `fn` now and returns its result as a promise: a throw becomes a rejection, never a sync throw. */
export function settle<T>(fn: () => T): Promise<T> {
  return new Promise<T>((resolve) => {
    resolve(fn());
  });
}
