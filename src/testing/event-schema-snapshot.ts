import { z } from 'zod';
import type { EventDefinition } from '../events/define-event.js';
import { invalidOption } from '../internal/options.js';
import { isStandardSchema, type StandardSchemaV1 } from '../standard-schema.js';
import {
  byCodeUnit,
  canonical,
  isJsonObject,
  setOwn,
  sortedJson,
  type JsonObject,
  type JsonValue,
} from './event-schema/json.js';

/**
 * The `format` of every snapshot this version writes and reads.
 *
 * @example
 * import { EVENT_SCHEMA_SNAPSHOT_FORMAT, eventSchemaSnapshot } from 'switchboard/testing';
 * eventSchemaSnapshot([]).format === EVENT_SCHEMA_SNAPSHOT_FORMAT; // true
 */
export const EVENT_SCHEMA_SNAPSHOT_FORMAT = 'switchboard.event-schemas/1';

/**
 * One event type at one version: its topic and the JSON Schema (draft
 * 2020-12) of the data it accepts.
 *
 * @example
 * import type { EventSchemaEntry } from 'switchboard/testing';
 * const entry: EventSchemaEntry = { topic: 'order', dataSchema: { type: 'object' } };
 */
export type EventSchemaEntry = { readonly topic: string; readonly dataSchema: JsonObject };

/**
 * What {@link eventSchemaSnapshot} makes: every event type, by version,
 * keys sorted, ready for `JSON.stringify(snapshot, null, 2)` into a file you commit.
 *
 * @example
 * import type { EventSchemaSnapshot } from 'switchboard/testing';
 * import { readFile } from 'node:fs/promises';
 * const previous = JSON.parse(await readFile('events.snapshot.json', 'utf8')) as EventSchemaSnapshot;
 */
export type EventSchemaSnapshot = {
  readonly format: typeof EVENT_SCHEMA_SNAPSHOT_FORMAT;
  readonly events: {
    readonly [type: string]: { readonly [version: string]: EventSchemaEntry };
  };
};

/**
 * A catalogue of definitions such as `ProductEvents`, taken as a whole by
 * {@link eventSchemaSnapshot}.
 *
 * @example
 * import { ProductEvents } from 'switchboard';
 * import type { EventCatalogue } from 'switchboard/testing';
 * const catalogue: EventCatalogue = ProductEvents;
 */
export type EventCatalogue = { readonly [name: string]: EventDefinition };

/**
 * A JSON-serialisable, deterministic snapshot of event schemas: for each
 * event type and version, its topic and the JSON Schema of its data. zod
 * schemas are converted with `z.toJSONSchema` (the input side: what a
 * consumer accepts; types with no JSON form become `{}`); other schemas must
 * implement Standard JSON Schema. Commit it, and compare the next one with
 * {@link checkEventCompatibility}.
 *
 * @throws TypeError when an item is not a definition or a catalogue, a
 * schema cannot be converted, or one type and version is defined twice with
 * different schemas or topics.
 * @example
 * import { ProductEvents, UserEvents, defineEvent } from 'switchboard';
 * import { eventSchemaSnapshot } from 'switchboard/testing';
 * import { z } from 'zod';
 * const OrderPlaced = defineEvent('order.placed', z.object({ orderId: z.string() }));
 * const snapshot = eventSchemaSnapshot([ProductEvents, UserEvents, OrderPlaced]);
 * snapshot.events['order.placed']?.['1']?.dataSchema.required; // ['orderId']
 */
export function eventSchemaSnapshot(
  definitions: readonly (EventDefinition | EventCatalogue)[],
): EventSchemaSnapshot {
  if (!Array.isArray(definitions)) {
    invalidOption('definitions', 'expected an array of definitions or catalogues', TypeError);
  }
  const found = new Map<string, Map<string, EventSchemaEntry>>();
  definitions.forEach((item, index) => {
    for (const definition of definitionsIn(item, `definitions[${index}]`)) {
      // Keys in sorted order, like every object of a snapshot.
      const entry: EventSchemaEntry = {
        dataSchema: dataJsonSchema(definition),
        topic: definition.topic,
      };
      const versions = found.get(definition.type) ?? new Map<string, EventSchemaEntry>();
      const earlier = versions.get(definition.version);
      if (earlier !== undefined && canonical(earlier) !== canonical(entry)) {
        invalidOption(
          `definitions[${index}]`,
          `"${definition.type}" version ${definition.version} is defined twice, differently`,
          TypeError,
        );
      }
      versions.set(definition.version, entry);
      found.set(definition.type, versions);
    }
  });
  const events: Record<string, Record<string, EventSchemaEntry>> = {};
  for (const type of [...found.keys()].sort(byCodeUnit)) {
    const versions = found.get(type) ?? new Map<string, EventSchemaEntry>();
    const byVersion: Record<string, EventSchemaEntry> = {};
    for (const version of [...versions.keys()].sort(compareVersions)) {
      setOwn(byVersion, version, versions.get(version) as EventSchemaEntry);
    }
    setOwn(events, type, byVersion);
  }
  return { events, format: EVENT_SCHEMA_SNAPSHOT_FORMAT };
}

/** Numeric versions in numeric order (`'2'` before `'10'`), then the others by code unit. */
export function compareVersions(a: string, b: string): number {
  const numeric = /^\d+$/;
  if (numeric.test(a) && numeric.test(b)) return Number(a) - Number(b) || byCodeUnit(a, b);
  if (numeric.test(a) !== numeric.test(b)) return numeric.test(a) ? -1 : 1;
  return byCodeUnit(a, b);
}

function isDefinition(value: unknown): value is EventDefinition {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<Record<keyof EventDefinition, unknown>>;
  return (
    typeof candidate.type === 'string' &&
    typeof candidate.version === 'string' &&
    typeof candidate.topic === 'string' &&
    isStandardSchema(candidate.schema)
  );
}

function definitionsIn(item: unknown, field: string): EventDefinition[] {
  if (isDefinition(item)) return [item];
  if (typeof item === 'object' && item !== null && !Array.isArray(item)) {
    const values = Object.values(item);
    if (values.length > 0 && values.every(isDefinition)) return values;
  }
  return invalidOption(field, 'expected an event definition or a catalogue of them', TypeError);
}

type JsonSchemaConverter = { input?: (options: { target: string }) => unknown };

function dataJsonSchema(definition: EventDefinition): JsonObject {
  const schema: unknown = definition.schema;
  const standard: StandardSchemaV1['~standard'] & { readonly jsonSchema?: JsonSchemaConverter } =
    definition.schema['~standard'];
  let converted: unknown;
  if (
    standard.vendor === 'zod' &&
    typeof schema === 'object' &&
    schema !== null &&
    '_zod' in schema
  ) {
    converted = z.toJSONSchema(schema as z.ZodType, {
      io: 'input',
      unrepresentable: 'any',
      target: 'draft-2020-12',
    });
  } else if (typeof standard.jsonSchema?.input === 'function') {
    converted = standard.jsonSchema.input({ target: 'draft-2020-12' });
  } else {
    invalidOption(
      'definitions',
      `the data schema of "${definition.type}" has no JSON Schema form (use zod 4 or a Standard JSON Schema)`,
      TypeError,
    );
  }
  // A round trip through JSON keeps exactly what a snapshot file will hold.
  const json = JSON.parse(JSON.stringify(converted)) as JsonValue;
  if (!isJsonObject(json)) {
    invalidOption(
      'definitions',
      `the data schema of "${definition.type}" is not an object schema`,
      TypeError,
    );
  }
  return sortedJson(json) as JsonObject;
}
