/**
 * Eager validation of options objects. Mistakes in options are programming
 * errors, so they are the platform's `TypeError`/`RangeError` (as the
 * conventions ask), named after the option and carrying a stable `code` the way
 * Node's own `ERR_OUT_OF_RANGE` errors do (docs/decisions/0003-errors.md).
 */

export const INVALID_OPTION = 'ERR_SWITCHBOARD_INVALID_OPTION';

type OptionError = (TypeError | RangeError) & { code: string; option: string };

/** Throws the option error: a `RangeError` by default, a `TypeError` for a wrong type. */
export function invalidOption(
  option: string,
  message: string,
  Kind: typeof TypeError | typeof RangeError = RangeError,
): never {
  const error = new Kind(`Invalid option \`${option}\`: ${message}`) as OptionError;
  error.code = INVALID_OPTION;
  error.option = option;
  throw error;
}

function requireNumber(option: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || Number.isNaN(value)) {
    invalidOption(option, `expected a number, got ${describe(value)}`, TypeError);
  }
}

/** An integer ≥ `min` (1 by default). */
export function integerOption(option: string, value: unknown, min = 1): number {
  requireNumber(option, value);
  if (!Number.isInteger(value) || value < min) {
    invalidOption(option, `expected an integer ≥ ${min}, got ${value}`);
  }
  return value;
}

/** A finite number ≥ `min` (0 by default); `Infinity` only when `allowInfinity`. */
export function numberOption(
  option: string,
  value: unknown,
  { min = 0, allowInfinity = false }: { min?: number; allowInfinity?: boolean } = {},
): number {
  requireNumber(option, value);
  if ((!allowInfinity && !Number.isFinite(value)) || value < min) {
    invalidOption(option, `expected a finite number ≥ ${min}, got ${value}`);
  }
  return value;
}

/** The longest delay a timer holds: `setTimeout` turns anything longer into 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A duration in ms that a timer will hold: finite, ≥ `min` (1 by default),
 * at most {@link MAX_TIMER_MS} (a typo of a few zeros must not become a 1 ms loop).
 */
export function timerOption(option: string, value: unknown, min = 1): number {
  const ms = numberOption(option, value, { min });
  if (ms > MAX_TIMER_MS) invalidOption(option, `expected at most ${MAX_TIMER_MS} ms, got ${ms}`);
  return ms;
}

/** A number in the half-open range (0, 1]. */
export function ratioOption(option: string, value: unknown): number {
  requireNumber(option, value);
  if (!(value > 0 && value <= 1)) invalidOption(option, `expected 0 < value ≤ 1, got ${value}`);
  return value;
}

export function functionOption<F>(option: string, value: F): F {
  if (typeof value !== 'function')
    invalidOption(option, `expected a function, got ${describe(value)}`, TypeError);
  return value;
}

export function nameOption(option: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    invalidOption(option, `expected a non-empty string, got ${describe(value)}`, TypeError);
  }
  return value;
}

/** Rejects two options that cannot be combined. */
export function exclusiveOptions(a: string, b: string): never {
  return invalidOption(a, `cannot be combined with \`${b}\``, TypeError);
}

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : typeof value;
}
