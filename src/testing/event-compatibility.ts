import { invalidOption } from '../internal/options.js';
import type { SchemaChangeKind } from './event-schema/compare-context.js';
import { compareSchemas } from './event-schema/compare-schema.js';
import { byCodeUnit, isJsonObject } from './event-schema/json.js';
import {
  EVENT_SCHEMA_SNAPSHOT_FORMAT,
  compareVersions,
  type EventSchemaEntry,
  type EventSchemaSnapshot,
} from './event-schema-snapshot.js';

/**
 * What kind of change an {@link EventSchemaChange} is: an event type or
 * version removed or added, a topic moved, or a change inside the data schema
 * (`field-removed`, `field-added`, `field-added-required`, `field-required`,
 * `field-optional`, `type-changed`, `type-widened`, `enum-narrowed`,
 * `enum-widened`, `union-narrowed`, `union-widened`, `constraint-narrowed`,
 * `constraint-widened`, `object-closed`, `object-opened`, `schema-changed`).
 *
 * @example
 * import type { EventChangeKind } from 'switchboard/testing';
 * const kind: EventChangeKind = 'field-removed';
 */
export type EventChangeKind =
  | 'event-removed'
  | 'event-added'
  | 'version-removed'
  | 'version-added'
  | 'topic-changed'
  | SchemaChangeKind;

/**
 * One change between two snapshots. `path` says where, e.g.
 * `product.created@1 data.price` (`data.items[].sku` inside arrays,
 * `data.tags.*` for a record's values); `message` says what, for a human.
 *
 * @example
 * import type { EventSchemaChange } from 'switchboard/testing';
 * const line = (change: EventSchemaChange) => `${change.path}: ${change.message}`;
 */
export type EventSchemaChange = {
  readonly kind: EventChangeKind;
  /** The event type, e.g. `'product.created'`. */
  readonly event: string;
  /** The version, or `undefined` for a whole event type removed or added. */
  readonly version: string | undefined;
  readonly path: string;
  readonly message: string;
};

/**
 * What {@link checkEventCompatibility} found: `compatible` when nothing is
 * breaking; every change listed, breaking or not, in a stable order.
 *
 * @example
 * import type { EventCompatibilityReport } from 'switchboard/testing';
 * const summary = (report: EventCompatibilityReport) => report.breaking.map((c) => `${c.path}: ${c.message}`);
 */
export type EventCompatibilityReport = {
  readonly compatible: boolean;
  readonly breaking: readonly EventSchemaChange[];
  readonly nonBreaking: readonly EventSchemaChange[];
};

/**
 * Compares a committed snapshot with the current one (both from
 * {@link eventSchemaSnapshot}) and sorts every change into breaking and
 * non-breaking, recursing into nested objects, arrays, records, tuples and
 * unions.
 *
 * Breaking: anything that rejects events valid before (a new required field,
 * an optional field made required, a changed or narrowed type, enum values or
 * union members removed, a tightened constraint, an object closed to unlisted
 * fields, a topic moved) or takes away what consumers read (an event type, a
 * version, a field). Non-breaking, but listed: additions a consumer deployed
 * first can take (a new event type or version, a new optional field, a field
 * made optional, a widened type, enum or union, a loosened constraint).
 * Schema keywords it cannot analyse count as breaking when they change.
 *
 * @throws TypeError when either argument is not a snapshot of this format.
 * @example
 * import { readFile } from 'node:fs/promises';
 * import { ProductEvents } from 'switchboard';
 * import { checkEventCompatibility, eventSchemaSnapshot } from 'switchboard/testing';
 * const previous = JSON.parse(await readFile('events.snapshot.json', 'utf8'));
 * const report = checkEventCompatibility(previous, eventSchemaSnapshot([ProductEvents]));
 * for (const change of report.breaking) console.log(`${change.path}: ${change.message}`);
 */
export function checkEventCompatibility(
  previous: EventSchemaSnapshot,
  current: EventSchemaSnapshot,
): EventCompatibilityReport {
  const before = eventsOf('previous', previous);
  const after = eventsOf('current', current);
  const breaking: EventSchemaChange[] = [];
  const nonBreaking: EventSchemaChange[] = [];
  const seen = new Set<string>();
  const add = (isBreaking: boolean, change: EventSchemaChange): void => {
    const key = `${change.kind} ${change.path} ${change.message}`;
    if (seen.has(key)) return;
    seen.add(key);
    (isBreaking ? breaking : nonBreaking).push(change);
  };
  for (const event of union(Object.keys(before), Object.keys(after), byCodeUnit)) {
    const [was, now] = [own(before, event), own(after, event)];
    if (now === undefined) {
      add(true, {
        kind: 'event-removed',
        event,
        version: undefined,
        path: event,
        message: 'event type removed',
      });
      continue;
    }
    if (was === undefined) {
      add(false, {
        kind: 'event-added',
        event,
        version: undefined,
        path: event,
        message: 'new event type',
      });
      continue;
    }
    for (const version of union(Object.keys(was), Object.keys(now), compareVersions)) {
      const [entryWas, entryNow] = [own(was, version), own(now, version)];
      const at = `${event}@${version}`;
      const change = (kind: EventChangeKind, path: string, message: string): EventSchemaChange => ({
        kind,
        event,
        version,
        path,
        message,
      });
      if (entryNow === undefined) {
        add(true, change('version-removed', at, 'version removed'));
      } else if (entryWas === undefined) {
        add(false, change('version-added', at, 'new version'));
      } else {
        if (entryWas.topic !== entryNow.topic) {
          const message = `topic "${entryWas.topic}" → "${entryNow.topic}": subscribers of the old topic no longer get it`;
          add(true, change('topic-changed', at, message));
        }
        compareSchemas(
          entryWas.dataSchema,
          entryNow.dataSchema,
          'data',
          (kind, isBreaking, path, message) => {
            add(isBreaking, change(kind, `${at} ${path}`, message));
          },
        );
      }
    }
  }
  return { compatible: breaking.length === 0, breaking, nonBreaking };
}

type Events = EventSchemaSnapshot['events'];

function eventsOf(field: string, snapshot: unknown): Events {
  if (!isJsonObject(snapshot) || snapshot['format'] !== EVENT_SCHEMA_SNAPSHOT_FORMAT) {
    invalidOption(
      field,
      `expected an event schema snapshot (format "${EVENT_SCHEMA_SNAPSHOT_FORMAT}")`,
      TypeError,
    );
  }
  const events = snapshot['events'];
  const valid =
    isJsonObject(events) &&
    Object.values(events).every(
      (versions) => isJsonObject(versions) && Object.values(versions).every(isEntry),
    );
  if (!valid) {
    invalidOption(
      `${field}.events`,
      'expected { [type]: { [version]: { topic, dataSchema } } }',
      TypeError,
    );
  }
  return events as Events;
}

function isEntry(value: unknown): value is EventSchemaEntry {
  return (
    isJsonObject(value) && typeof value['topic'] === 'string' && isJsonObject(value['dataSchema'])
  );
}

function own<V>(record: { readonly [key: string]: V }, key: string): V | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

function union(
  a: readonly string[],
  b: readonly string[],
  order: (x: string, y: string) => number,
): string[] {
  return [...new Set([...a, ...b])].sort(order);
}
