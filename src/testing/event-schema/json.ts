/**
 * A JSON value, as a snapshot file holds it.
 *
 * @example
 * import type { JsonValue } from 'switchboard/testing';
 * const value: JsonValue = { type: 'object', required: ['id'] };
 */
export type JsonValue =
  null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/**
 * A JSON object: a JSON Schema node, say.
 *
 * @example
 * import type { JsonObject } from 'switchboard/testing';
 * const schema: JsonObject = { type: 'string', minLength: 1 };
 */
export type JsonObject = { readonly [key: string]: JsonValue };

/** True for a JSON object (not an array, not null). */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** True for a JSON array. */
export function isJsonArray(value: unknown): value is readonly JsonValue[] {
  return Array.isArray(value);
}

/** Compares keys by UTF-16 code units: the same order on every machine and locale. */
export function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * `value` with every object's keys sorted and every `required` list sorted
 * (a set in JSON Schema), so equal schemas serialise to the same text.
 */
export function sortedJson(value: JsonValue): JsonValue {
  if (isJsonArray(value)) return value.map(sortedJson);
  if (!isJsonObject(value)) return value;
  const out: Record<string, JsonValue> = {};
  for (const key of Object.keys(value).sort(byCodeUnit)) {
    const child = value[key] as JsonValue;
    const sorted =
      key === 'required' && isJsonArray(child) && child.every((item) => typeof item === 'string')
        ? [...child].sort(byCodeUnit)
        : sortedJson(child);
    setOwn(out, key, sorted);
  }
  return out;
}

/** A canonical string for comparing JSON values. */
export function canonical(value: JsonValue | undefined): string {
  return value === undefined ? 'undefined' : JSON.stringify(sortedJson(value));
}

/** Sets an own, enumerable property; unlike `=`, a key named `__proto__` stays a key. */
export function setOwn<V>(target: Record<string, V>, key: string, value: V): void {
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}
