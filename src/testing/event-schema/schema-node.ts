import { isJsonArray, isJsonObject, type JsonObject, type JsonValue } from './json.js';

/** A JSON type name, as JSON Schema spells it. */
export type JsonType = 'null' | 'boolean' | 'integer' | 'number' | 'string' | 'array' | 'object';

const JSON_TYPES = new Set<string>([
  'null',
  'boolean',
  'integer',
  'number',
  'string',
  'array',
  'object',
]);

/**
 * The node a (sub)schema stands for: `true` is `{}`, `false` accepts nothing,
 * and a `$ref` into the root (`#` or `#/$defs/…`) is followed, its sibling
 * keywords kept. A reference that cannot be followed is left as it is.
 */
export function resolveNode(node: JsonValue | undefined, root: JsonObject): JsonObject {
  if (node === undefined || node === true) return {};
  if (node === false) return { not: {} };
  if (!isJsonObject(node)) return {};
  let current = node;
  for (let hops = 0; hops < 32 && typeof current['$ref'] === 'string'; hops++) {
    const target = follow(current['$ref'], root);
    if (target === undefined) return current;
    const siblings = Object.entries(current).filter(([key]) => key !== '$ref');
    current = { ...target, ...Object.fromEntries(siblings) };
  }
  return current;
}

function follow(ref: string, root: JsonObject): JsonObject | undefined {
  if (ref === '#') return root;
  if (!ref.startsWith('#/')) return undefined;
  let at: JsonValue | undefined = root;
  for (const raw of ref.slice(2).split('/')) {
    const key = decodeURIComponent(raw).replaceAll('~1', '/').replaceAll('~0', '~');
    at = isJsonObject(at) && Object.hasOwn(at, key) ? at[key] : undefined;
  }
  return isJsonObject(at) ? at : undefined;
}

/** The JSON types a node accepts; `undefined` when it does not say (any value). */
export function typesOf(node: JsonObject): Set<JsonType> | undefined {
  const declared = node['type'];
  if (typeof declared === 'string')
    return new Set(JSON_TYPES.has(declared) ? [declared as JsonType] : []);
  if (isJsonArray(declared)) {
    return new Set(
      declared.filter((t): t is JsonType => typeof t === 'string' && JSON_TYPES.has(t)),
    );
  }
  const values = valuesOf(node);
  if (values !== undefined) return new Set(values.map(typeOfValue));
  if (isJsonObject(node['not']) && Object.keys(node['not']).length === 0) return new Set();
  if ('properties' in node || 'additionalProperties' in node) return new Set(['object']);
  if ('items' in node || 'prefixItems' in node) return new Set(['array']);
  return undefined;
}

/** The values an `enum` or `const` node allows; `undefined` when it has neither. */
export function valuesOf(node: JsonObject): readonly JsonValue[] | undefined {
  const constant = node['const'];
  if (constant !== undefined) return [constant];
  const values = node['enum'];
  return isJsonArray(values) ? values : undefined;
}

/** True when a value of type `type` is accepted by a node accepting `types`. */
export function accepts(types: ReadonlySet<JsonType>, type: JsonType): boolean {
  return types.has(type) || (type === 'integer' && types.has('number'));
}

/** `anyOf`/`oneOf` options of a union node, or `undefined`. */
export function unionOptions(node: JsonObject): readonly JsonValue[] | undefined {
  const options = node['anyOf'] ?? node['oneOf'];
  return isJsonArray(options) ? options : undefined;
}

/** True when the node rejects fields it does not list (`additionalProperties: false`). */
export function isClosed(node: JsonObject): boolean {
  const extra = node['additionalProperties'];
  return (
    extra === false ||
    (isJsonObject(extra) && isJsonObject(extra['not']) && Object.keys(extra['not']).length === 0)
  );
}

/** `data.price`, `data["odd key"]`. */
export function fieldPath(at: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${at}.${key}` : `${at}[${JSON.stringify(key)}]`;
}

/** `string | null`, `any value`. */
export function describeTypes(types: ReadonlySet<JsonType> | undefined): string {
  if (types === undefined) return 'any value';
  if (types.size === 0) return 'nothing';
  return [...types].sort().join(' | ');
}

function typeOfValue(value: JsonValue): JsonType {
  if (value === null) return 'null';
  if (isJsonArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  if (typeof value === 'object') return 'object';
  return typeof value as 'boolean' | 'string';
}
