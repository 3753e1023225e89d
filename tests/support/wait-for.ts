/**
 * Polls `predicate` every 20 ms until it holds; fails naming `what` after
 * `timeoutMs`, so a fault test that stalls says which step it stalled on.
 */
export async function waitFor(
  what: string,
  timeoutMs: number,
  predicate: () => boolean | Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
