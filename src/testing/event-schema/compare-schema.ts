import { CONSTRAINT_KEYWORDS, compareConstraints } from './constraints.js';
import { list, own, same, type ChangeSink, type CompareContext } from './compare-context.js';
import { compareArrays, compareObjects, compareUnions } from './compare-members.js';
import { byCodeUnit, canonical, isJsonObject, type JsonObject, type JsonValue } from './json.js';
import {
  accepts,
  describeTypes,
  resolveNode,
  typesOf,
  unionOptions,
  valuesOf,
  type JsonType,
} from './schema-node.js';

// Keywords that describe rather than constrain: never a compatibility change.
const ANNOTATIONS = new Set([
  '$schema',
  '$id',
  '$anchor',
  '$comment',
  '$defs',
  'definitions',
  'title',
  'description',
  'default',
  'examples',
  'deprecated',
  'readOnly',
  'writeOnly',
  'id',
]);

const HANDLED = new Set([
  '$ref',
  'type',
  'enum',
  'const',
  'anyOf',
  'oneOf',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'prefixItems',
  ...CONSTRAINT_KEYWORDS,
]);

/**
 * Compares two JSON Schemas of an event's data, recursively (objects, arrays,
 * records, tuples, unions, `$ref`s), and reports each change to `emit`.
 */
export function compareSchemas(
  previous: JsonObject,
  current: JsonObject,
  at: string,
  emit: ChangeSink,
): void {
  const sharedDefs =
    canonical(previous['$defs'] ?? null) === canonical(current['$defs'] ?? null) &&
    canonical(previous['definitions'] ?? null) === canonical(current['definitions'] ?? null);
  const context: CompareContext = {
    previousRoot: previous,
    currentRoot: current,
    emit,
    refs: new Set(),
    sharedDefs,
    compare: (was, now, path) => {
      compareNode(was, now, path, context);
    },
  };
  compareNode(previous, current, at, context);
}

function compareNode(
  previousRaw: JsonValue | undefined,
  currentRaw: JsonValue | undefined,
  at: string,
  context: CompareContext,
): void {
  const refPair = refKey(previousRaw, currentRaw);
  if (refPair !== undefined) {
    if (context.refs.has(refPair)) return; // already being compared: a recursive schema
    context.refs.add(refPair);
  }
  try {
    const previous = resolveNode(previousRaw, context.previousRoot);
    const current = resolveNode(currentRaw, context.currentRoot);
    if (same(previous, current, context)) return;
    if (unionOptions(previous) !== undefined || unionOptions(current) !== undefined) {
      compareUnions(previous, current, at, context);
      return;
    }
    if (!compareTypes(previous, current, at, context)) return;
    compareValues(previous, current, at, context);
    const integer = [typesOf(previous), typesOf(current)].every(
      (types) => types?.size === 1 && types.has('integer'),
    );
    for (const change of compareConstraints(previous, current, integer)) {
      const kind = change.narrowed ? 'constraint-narrowed' : 'constraint-widened';
      context.emit(kind, change.narrowed, at, change.message);
    }
    compareObjects(previous, current, at, context);
    compareArrays(previous, current, at, context);
    compareOthers(previous, current, at, context);
  } finally {
    if (refPair !== undefined) context.refs.delete(refPair);
  }
}

/** Reports a type change; false when it is breaking, so nothing below it is compared. */
function compareTypes(
  previous: JsonObject,
  current: JsonObject,
  at: string,
  context: CompareContext,
): boolean {
  const [was, now] = [typesOf(previous), typesOf(current)];
  if (was === undefined && now === undefined) return true;
  const message = `type ${describeTypes(was)} → ${describeTypes(now)}`;
  if (now === undefined) {
    context.emit('type-widened', false, at, message);
    return true;
  }
  const removed = was === undefined ? ['any'] : [...was].filter((type) => !accepts(now, type));
  if (removed.length > 0) {
    context.emit('type-changed', true, at, `${message}: values accepted before are now rejected`);
    return false;
  }
  const added = [...now].filter((type: JsonType) => was !== undefined && !accepts(was, type));
  if (added.length > 0) context.emit('type-widened', false, at, message);
  return true;
}

function compareValues(
  previous: JsonObject,
  current: JsonObject,
  at: string,
  context: CompareContext,
): void {
  const [was, now] = [valuesOf(previous), valuesOf(current)];
  if (was === undefined && now === undefined) return;
  if (now === undefined) {
    context.emit(
      'enum-widened',
      false,
      at,
      `any value of its type is now accepted, not only ${list(was)}`,
    );
    return;
  }
  if (was === undefined) {
    context.emit('enum-narrowed', true, at, `only ${list(now)} is now accepted`);
    return;
  }
  const nowKeys = new Set(now.map(canonical));
  const wasKeys = new Set(was.map(canonical));
  const removed = was.filter((value) => !nowKeys.has(canonical(value)));
  const added = now.filter((value) => !wasKeys.has(canonical(value)));
  if (removed.length > 0)
    context.emit('enum-narrowed', true, at, `${list(removed)} no longer accepted`);
  if (added.length > 0) context.emit('enum-widened', false, at, `${list(added)} now accepted too`);
}

// Anything this module does not analyse counts as breaking when it changed.
function compareOthers(
  previous: JsonObject,
  current: JsonObject,
  at: string,
  context: CompareContext,
): void {
  const keys = new Set([...Object.keys(previous), ...Object.keys(current)]);
  const changed = [...keys]
    .filter((key) => !HANDLED.has(key) && !ANNOTATIONS.has(key))
    .filter((key) => canonical(own(previous, key)) !== canonical(own(current, key)))
    .sort(byCodeUnit);
  if (changed.length > 0) {
    context.emit(
      'schema-changed',
      true,
      at,
      `${changed.join(', ')} changed; this check cannot tell whether that is safe, so review it`,
    );
  }
}

function refKey(
  previous: JsonValue | undefined,
  current: JsonValue | undefined,
): string | undefined {
  const ref = (node: JsonValue | undefined): string | undefined =>
    isJsonObject(node) && typeof node['$ref'] === 'string' ? node['$ref'] : undefined;
  const [a, b] = [ref(previous), ref(current)];
  return a === undefined && b === undefined ? undefined : `${a ?? ''} ${b ?? ''}`;
}
