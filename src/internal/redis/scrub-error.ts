const REDACTED = '[redacted]';

/**
 * Removes the arguments ioredis attaches to a failed command's error
 * (`error.command.args`), in place, and returns the error. They hold what
 * the command carried: for the `HELLO … AUTH` or `AUTH` of every
 * connection, the password of the Redis URL; for an `XADD`, the event.
 * Errors end up in logs, `cause` chains and `util.inspect` output, so every
 * ioredis error is scrubbed where it enters the library. The command's name
 * stays: it says what failed.
 */
export function scrubRedisError<T>(error: T): T {
  scrub(error, 0);
  return error;
}

function scrub(value: unknown, depth: number): void {
  // Errors nest a little (a cluster's lastNodeError, a cause); cycles are possible.
  if (typeof value !== 'object' || value === null || depth > 4) return;
  const command = (value as { command?: unknown }).command;
  if (typeof command === 'object' && command !== null) {
    const args = (command as { args?: unknown }).args;
    if (Array.isArray(args)) {
      (command as { args: unknown[] }).args = args.map(() => REDACTED);
    }
  }
  const nested = value as {
    cause?: unknown;
    lastNodeError?: unknown;
    previousErrors?: unknown;
    errors?: unknown;
  };
  scrub(nested.cause, depth + 1);
  scrub(nested.lastNodeError, depth + 1);
  for (const list of [nested.previousErrors, nested.errors]) {
    if (Array.isArray(list)) for (const item of list) scrub(item, depth + 1);
  }
}
