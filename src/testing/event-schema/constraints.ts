import { canonical, type JsonObject } from './json.js';

/** A constraint that changed: `narrowed` rejects values accepted before. */
export type ConstraintChange = { readonly narrowed: boolean; readonly message: string };

type Bound = { readonly value: number; readonly exclusive: boolean };

const LOWER_COUNTS = ['minLength', 'minItems', 'minProperties'] as const;
const UPPER_COUNTS = ['maxLength', 'maxItems', 'maxProperties'] as const;
/** Compared as a whole: a change or an addition narrows, a removal widens. */
const OPAQUE = ['pattern', 'format', 'multipleOf', 'propertyNames', 'contentEncoding'] as const;

/** Keywords this module compares, so the catch-all comparison leaves them alone. */
export const CONSTRAINT_KEYWORDS: ReadonlySet<string> = new Set([
  'minimum',
  'exclusiveMinimum',
  'maximum',
  'exclusiveMaximum',
  'uniqueItems',
  ...LOWER_COUNTS,
  ...UPPER_COUNTS,
  ...OPAQUE,
]);

/** How the value constraints of one node changed: bounds, lengths, pattern, format… */
export function compareConstraints(
  previous: JsonObject,
  current: JsonObject,
  integer: boolean,
): ConstraintChange[] {
  const changes: ConstraintChange[] = [];
  const lower = compareBound(
    bound(previous, 'minimum', 'exclusiveMinimum', 'lower', integer),
    bound(current, 'minimum', 'exclusiveMinimum', 'lower', integer),
    'lower',
  );
  if (lower !== undefined) changes.push(lower);
  const upper = compareBound(
    bound(previous, 'maximum', 'exclusiveMaximum', 'upper', integer),
    bound(current, 'maximum', 'exclusiveMaximum', 'upper', integer),
    'upper',
  );
  if (upper !== undefined) changes.push(upper);
  for (const key of LOWER_COUNTS) {
    const change = compareCount(key, number(previous[key]), number(current[key]), 'lower');
    if (change !== undefined) changes.push(change);
  }
  for (const key of UPPER_COUNTS) {
    const change = compareCount(key, number(previous[key]), number(current[key]), 'upper');
    if (change !== undefined) changes.push(change);
  }
  const unique = [previous['uniqueItems'] === true, current['uniqueItems'] === true];
  if (unique[0] !== unique[1]) {
    changes.push(
      unique[1] === true
        ? { narrowed: true, message: 'items must now be unique' }
        : { narrowed: false, message: 'items no longer need to be unique' },
    );
  }
  for (const key of OPAQUE) {
    const [was, now] = [previous[key], current[key]];
    if (canonical(was) === canonical(now)) continue;
    changes.push(
      now === undefined
        ? { narrowed: false, message: `${key} ${show(was)} removed` }
        : {
            narrowed: true,
            message:
              was === undefined
                ? `${key} ${show(now)} added`
                : `${key} ${show(was)} → ${show(now)}`,
          },
    );
  }
  return changes;
}

function bound(
  node: JsonObject,
  inclusiveKey: string,
  exclusiveKey: string,
  side: 'lower' | 'upper',
  integer: boolean,
): Bound | undefined {
  const found = anyBound(node, inclusiveKey, exclusiveKey, side);
  if (found === undefined || !integer || !found.exclusive) return found;
  // For integers an exclusive bound is an inclusive one a step in: > 0 is ≥ 1.
  const value = side === 'lower' ? Math.floor(found.value) + 1 : Math.ceil(found.value) - 1;
  return { value, exclusive: false };
}

function anyBound(
  node: JsonObject,
  inclusiveKey: string,
  exclusiveKey: string,
  side: 'lower' | 'upper',
): Bound | undefined {
  const inclusive = number(node[inclusiveKey]);
  const exclusive = number(node[exclusiveKey]);
  if (inclusive === undefined)
    return exclusive === undefined ? undefined : { value: exclusive, exclusive: true };
  if (exclusive === undefined) return { value: inclusive, exclusive: false };
  // Both given: the tighter one is the bound.
  const exclusiveWins = side === 'lower' ? exclusive >= inclusive : exclusive <= inclusive;
  return exclusiveWins
    ? { value: exclusive, exclusive: true }
    : { value: inclusive, exclusive: false };
}

// How tight a bound is, as a number: higher is tighter for a lower bound.
function tightness(b: Bound, side: 'lower' | 'upper'): number {
  const sign = side === 'lower' ? 1 : -1;
  return sign * b.value;
}

function compareBound(
  was: Bound | undefined,
  now: Bound | undefined,
  side: 'lower' | 'upper',
): ConstraintChange | undefined {
  const name = side === 'lower' ? 'minimum' : 'maximum';
  if (was === undefined && now === undefined) return undefined;
  if (was === undefined)
    return { narrowed: true, message: `${name} ${showBound(now, side)} added` };
  if (now === undefined)
    return { narrowed: false, message: `${name} ${showBound(was, side)} removed` };
  if (was.value === now.value && was.exclusive === now.exclusive) return undefined;
  const [a, b] = [tightness(was, side), tightness(now, side)];
  const narrowed = b > a || (b === a && now.exclusive);
  return { narrowed, message: `${name} ${showBound(was, side)} → ${showBound(now, side)}` };
}

function compareCount(
  key: string,
  was: number | undefined,
  now: number | undefined,
  side: 'lower' | 'upper',
): ConstraintChange | undefined {
  if (was === now) return undefined;
  if (was === undefined) return { narrowed: true, message: `${key} ${now} added` };
  if (now === undefined) return { narrowed: false, message: `${key} ${was} removed` };
  const narrowed = side === 'lower' ? now > was : now < was;
  return { narrowed, message: `${key} ${was} → ${now}` };
}

function showBound(b: Bound | undefined, side: 'lower' | 'upper'): string {
  if (b === undefined) return '';
  const op = side === 'lower' ? (b.exclusive ? '>' : '≥') : b.exclusive ? '<' : '≤';
  return `${op} ${b.value}`;
}

function number(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

function show(value: unknown): string {
  // `undefined` for a function or `undefined` itself, whatever lib.d.ts says.
  const json = JSON.stringify(value) as string | undefined;
  return json ?? String(value);
}
