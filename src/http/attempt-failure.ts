import { NetworkError, isSwitchboardError, type TimeoutError } from '../errors.js';

/**
 * The library's error for an attempt that failed below HTTP: our own errors
 * pass through; an attempt cut by its timeout becomes that `TimeoutError`;
 * anything fetch threw (refused, reset, DNS, TLS) becomes a `NetworkError`
 * naming the cause's code, with the original as `cause`.
 */
export function attemptFailure(
  error: unknown,
  timedOut: TimeoutError | undefined,
  method: string,
  url: string,
): unknown {
  if (isSwitchboardError(error)) return error;
  if (timedOut !== undefined) return timedOut;
  const code = causeCode(error);
  return new NetworkError(`${method} ${url} failed${code === undefined ? '' : ` (${code})`}`, {
    cause: error,
  });
}

function causeCode(error: unknown): string | undefined {
  for (let current: unknown = error, depth = 0; depth < 4; depth++) {
    if (typeof current !== 'object' || current === null) return undefined;
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
