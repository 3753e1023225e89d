import { VERSION } from '../version.js';

/**
 * One health check: `GET url` with global `fetch`, bounded by `timeoutMs` and
 * by `signal` (the monitor's, aborted on close). Resolves to `undefined` when
 * the instance answered 2xx, else to a short reason ("answered 503",
 * "timed out after 2000 ms", "ECONNREFUSED"). Never rejects: a check that
 * cannot run is a failed check, except when `signal` aborted it (then the
 * caller ignores the result).
 */
export async function checkHealth(
  url: string,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<string | undefined> {
  // One controller per check instead of AbortSignal.any: a long-lived parent
  // signal would collect a dependent per check for its whole life.
  const controller = new AbortController();
  const abort = (): void => {
    controller.abort(signal.reason);
  };
  signal.addEventListener('abort', abort, { once: true });
  const timer = setTimeout(() => {
    controller.abort();
  }, timeoutMs);
  timer.unref();
  try {
    const response = await fetch(url, {
      signal: controller.signal,
      // A redirect is a misconfigured health path, not a pass.
      redirect: 'manual',
      // No pooled connection outlives close(), and a server that dropped an
      // idle keep-alive socket cannot fail the next check with a reset.
      headers: { connection: 'close', 'user-agent': `switchboard/${VERSION}` },
    });
    await response.body?.cancel();
    return response.ok ? undefined : `answered ${response.status}`;
  } catch (error) {
    if (controller.signal.aborted && !signal.aborted) return `timed out after ${timeoutMs} ms`;
    return describeFailure(error);
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', abort);
  }
}

// fetch says only "fetch failed"; the useful part (ECONNREFUSED) is its cause.
function describeFailure(error: unknown): string {
  const cause: unknown = error instanceof Error ? error.cause : undefined;
  const code = (cause as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') return code;
  if (cause instanceof Error) return cause.message;
  return error instanceof Error ? error.message : String(error);
}
