import { list, own, properties, same, type CompareContext } from './compare-context.js';
import {
  byCodeUnit,
  canonical,
  isJsonArray,
  isJsonObject,
  type JsonObject,
  type JsonValue,
} from './json.js';
import {
  describeTypes,
  fieldPath,
  isClosed,
  resolveNode,
  typesOf,
  unionOptions,
  valuesOf,
} from './schema-node.js';

/** Fields added, removed, made required or optional; closed or opened; record values. */
export function compareObjects(
  previous: JsonObject,
  current: JsonObject,
  at: string,
  context: CompareContext,
): void {
  const [was, now] = [properties(previous), properties(current)];
  const [wasRequired, nowRequired] = [required(previous), required(current)];
  for (const key of [...new Set([...Object.keys(was), ...Object.keys(now)])].sort(byCodeUnit)) {
    const path = fieldPath(at, key);
    const [before, after] = [own(was, key), own(now, key)];
    if (after === undefined) {
      context.emit('field-removed', true, path, 'field removed: consumers reading it get nothing');
    } else if (before === undefined) {
      if (nowRequired.has(key)) {
        context.emit(
          'field-added-required',
          true,
          path,
          'new required field: events published without it are now rejected',
        );
      } else {
        context.emit('field-added', false, path, 'new optional field');
      }
    } else {
      if (wasRequired.has(key) && !nowRequired.has(key)) {
        context.emit(
          'field-optional',
          false,
          path,
          'now optional: consumers must handle its absence',
        );
      } else if (!wasRequired.has(key) && nowRequired.has(key)) {
        context.emit(
          'field-required',
          true,
          path,
          'now required: events without it are now rejected',
        );
      }
      context.compare(before, after, path);
    }
  }
  if (!isClosed(previous) && isClosed(current)) {
    context.emit('object-closed', true, at, 'fields it does not list are now rejected');
  } else if (isClosed(previous) && !isClosed(current)) {
    context.emit('object-opened', false, at, 'fields it does not list are now accepted');
  } else if (!isClosed(previous) && hasSchema(previous, current, 'additionalProperties')) {
    context.compare(previous['additionalProperties'], current['additionalProperties'], `${at}.*`);
  }
}

/** Array items and tuple elements. */
export function compareArrays(
  previous: JsonObject,
  current: JsonObject,
  at: string,
  context: CompareContext,
): void {
  if (hasSchema(previous, current, 'items')) {
    context.compare(previous['items'], current['items'], `${at}[]`);
  }
  const [was, now] = [tuple(previous), tuple(current)];
  for (let index = 0; index < Math.max(was.length, now.length); index++) {
    const path = `${at}[${index}]`;
    if (index >= now.length) context.emit('field-removed', true, path, 'tuple element removed');
    else if (index >= was.length) {
      context.emit(
        'field-added-required',
        true,
        path,
        'new tuple element: events without it are now rejected',
      );
    } else context.compare(was[index], now[index], path);
  }
}

// A union's options are matched: identical ones, then ones of the same JSON
// types (compared in depth); what is left was removed or added.
export function compareUnions(
  previous: JsonObject,
  current: JsonObject,
  at: string,
  context: CompareContext,
): void {
  const was = (unionOptions(previous) ?? [previous]).map((option) =>
    resolveNode(option, context.previousRoot),
  );
  const now = (unionOptions(current) ?? [current]).map((option) =>
    resolveNode(option, context.currentRoot),
  );
  const unmatched = now.filter((option) => !was.some((w) => same(w, option, context)));
  const left = was.filter((option) => !now.some((n) => same(option, n, context)));
  for (const option of left) {
    const types = describeTypes(typesOf(option));
    const partner = closest(option, unmatched, types);
    if (partner >= 0) {
      context.compare(option, unmatched[partner], at);
      unmatched.splice(partner, 1);
    } else {
      context.emit('union-narrowed', true, at, `no longer accepts ${describeOption(option)}`);
    }
  }
  for (const option of unmatched) {
    context.emit('union-widened', false, at, `now also accepts ${describeOption(option)}`);
  }
}

// The option of the same JSON types sharing the most identical fields (a
// discriminated union's variants share their tag), or -1.
function closest(option: JsonObject, candidates: readonly JsonObject[], types: string): number {
  const fields = properties(option);
  let best = -1;
  let bestScore = -1;
  candidates.forEach((candidate, index) => {
    if (describeTypes(typesOf(candidate)) !== types) return;
    const other = properties(candidate);
    const score = Object.keys(fields).filter(
      (key) => canonical(own(other, key)) === canonical(own(fields, key)),
    ).length;
    if (score > bestScore) [best, bestScore] = [index, score];
  });
  return best;
}

function required(node: JsonObject): Set<string> {
  const value = node['required'];
  return new Set(isJsonArray(value) ? value.filter((key) => typeof key === 'string') : []);
}

function tuple(node: JsonObject): readonly JsonValue[] {
  const value = node['prefixItems'];
  return isJsonArray(value) ? value : [];
}

function hasSchema(previous: JsonObject, current: JsonObject, key: string): boolean {
  return isJsonObject(previous[key]) || isJsonObject(current[key]);
}

function describeOption(option: JsonObject): string {
  const values = valuesOf(option);
  return values === undefined ? describeTypes(typesOf(option)) : list(values);
}
