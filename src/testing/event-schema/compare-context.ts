import { canonical, isJsonObject, type JsonObject, type JsonValue } from './json.js';

/**
 * What changed in a data schema. Breaking kinds reject events that were valid
 * before, or take away something consumers read.
 */
export type SchemaChangeKind =
  | 'field-removed'
  | 'field-added'
  | 'field-added-required'
  | 'field-required'
  | 'field-optional'
  | 'type-changed'
  | 'type-widened'
  | 'enum-narrowed'
  | 'enum-widened'
  | 'union-narrowed'
  | 'union-widened'
  | 'constraint-narrowed'
  | 'constraint-widened'
  | 'object-closed'
  | 'object-opened'
  | 'schema-changed';

/** Receives each change found, with its path (`data.items[].sku`). */
export type ChangeSink = (
  kind: SchemaChangeKind,
  breaking: boolean,
  path: string,
  message: string,
) => void;

/** What every comparison step shares. */
export type CompareContext = {
  readonly previousRoot: JsonObject;
  readonly currentRoot: JsonObject;
  readonly emit: ChangeSink;
  /** `$ref` pairs being compared further up, so a recursive schema ends. */
  readonly refs: Set<string>;
  /** Both roots have the same `$defs`, so equal text means equal schemas, references included. */
  readonly sharedDefs: boolean;
  /** Compares two subschemas at `at` (the recursion). */
  readonly compare: (
    previous: JsonValue | undefined,
    current: JsonValue | undefined,
    at: string,
  ) => void;
};

// Equal text with references in it is only equal schemas when the references
// lead to equal places: the same `$defs`, and not the (differing) root.
export function same(previous: JsonObject, current: JsonObject, context: CompareContext): boolean {
  const text = canonical(previous);
  if (text !== canonical(current)) return false;
  return !text.includes('"$ref"') || (context.sharedDefs && !text.includes('"$ref":"#"'));
}

/** The `properties` of an object node, or none. */
export function properties(node: JsonObject): JsonObject {
  const value = node['properties'];
  return isJsonObject(value) ? value : {};
}

/** An own key's value: a field named `__proto__` or `constructor` is only ever a field. */
export function own(node: JsonObject, key: string): JsonValue | undefined {
  return Object.hasOwn(node, key) ? node[key] : undefined;
}

/** `"a", 1, null` */
export function list(values: readonly JsonValue[] | undefined): string {
  return (values ?? []).map((value) => JSON.stringify(value)).join(', ');
}
