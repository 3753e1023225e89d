import { randomUuid } from '../internal/random-ids.js';
import { currentCorrelation } from '../context/correlation.js';
import { childTraceparent } from '../context/traceparent.js';
import { EventValidationError, type SchemaIssue } from '../errors.js';
import { functionOption, invalidOption, nameOption } from '../internal/options.js';
import { validateSync } from '../internal/validate-schema.js';
import {
  isStandardSchema,
  type InferInput,
  type InferOutput,
  type StandardSchemaV1,
} from '../standard-schema.js';
import { fromCloudEvent, isEventTime, type EventEnvelope } from './envelope.js';

/**
 * Options of {@link defineEvent}.
 *
 * @example
 * import { defineEvent } from 'switchboard';
 * import { z } from 'zod';
 * defineEvent('order.placed', z.object({ orderId: z.int() }), {
 *   version: 2,
 *   topic: 'orders',
 *   subject: (data) => String(data.orderId),
 * });
 */
export type EventDefinitionOptions<Data> = {
  /**
   * The version of the data schema, carried as the `dataversion` attribute;
   * `parse` and `is` accept only events of this version.
   * @default '1'
   */
  readonly version?: string | number;
  /**
   * The topic (a Redis stream, say) the event travels on.
   * @default the type up to its first '.': `'product.created'` → `'product'`
   */
  readonly topic?: string;
  /**
   * Derives the CloudEvents `subject` from the data, e.g. `(d) => String(d.productId)`.
   * @default no subject
   */
  readonly subject?: (data: Data) => string;
};

/**
 * Per-event overrides for `definition.create`; each defaults to the current context.
 *
 * @example
 * import { UserEvents } from 'switchboard';
 * UserEvents.login.create(
 *   { userId: 7, email: 'ada@example.com' },
 *   { source: 'auth-service', correlationId: 'req-1', time: new Date() },
 * );
 */
export type EventMeta = {
  /** @default '' — the bus stamps its own `source` on publish. */
  readonly source?: string | undefined;
  /** @default the definition's `subject(data)`, else none */
  readonly subject?: string | undefined;
  /**
   * @default the current correlation id, else the event's own `id`: an event
   * created outside any context starts a flow, and names it.
   */
  readonly correlationId?: string | undefined;
  /** @default the current context's causation id, else none */
  readonly causationId?: string | undefined;
  /** @default a random UUID */
  readonly id?: string | undefined;
  /** @default now */
  readonly time?: string | Date | undefined;
};

/**
 * A typed event: its name, topic, schema version and data schema, with typed
 * helpers. Made by {@link defineEvent}; the built-in catalogue is made the same way.
 *
 * @example
 * import { ProductEvents, type EventDefinition } from 'switchboard';
 * const definitions: EventDefinition[] = [ProductEvents.created, ProductEvents.updated];
 * definitions.map((definition) => definition.topic); // ['product', 'product']
 */
export type EventDefinition<
  Type extends string = string,
  Schema extends StandardSchemaV1 = StandardSchemaV1,
> = {
  /** The CloudEvents `type`, e.g. `'product.created'`. */
  readonly type: Type;
  /** Where the event travels (a Redis stream, say). */
  readonly topic: string;
  /** The `dataversion` this definition creates and accepts. */
  readonly version: string;
  /** The data schema given to {@link defineEvent}. */
  readonly schema: Schema;
  /**
   * A new envelope around `data` (validated), with id, time, correlation id,
   * causation id and a child `traceparent` from the current correlation context.
   * @throws {@link EventValidationError} when `data` does not match the schema.
   */
  // Method syntax on purpose: it keeps every definition assignable to `EventDefinition`.
  create(data: InferInput<Schema>, meta?: EventMeta): EventEnvelope<InferOutput<Schema>, Type>;
  /**
   * Validates an untrusted value as a whole envelope of this type and version, data included.
   * @throws {@link EventValidationError} listing every problem.
   */
  readonly parse: (value: unknown) => EventEnvelope<InferOutput<Schema>, Type>;
  /** True when the envelope has this type and version; does not re-check the data. */
  readonly is: (event: EventEnvelope) => event is EventEnvelope<InferOutput<Schema>, Type>;
};

/**
 * The data type of a definition's events (the schema's output).
 *
 * @example
 * import type { EventData, ProductEvents } from 'switchboard';
 * type NewProduct = EventData<typeof ProductEvents.created>; // { productId: number; name: string; ... }
 */
export type EventData<D extends EventDefinition> = InferOutput<D['schema']>;

/**
 * The envelope type of a definition's events.
 *
 * @example
 * import type { EventOf, ProductEvents } from 'switchboard';
 * function onCreated(event: EventOf<typeof ProductEvents.created>): void {
 *   console.log(event.data.productId);
 * }
 */
export type EventOf<D extends EventDefinition> = EventEnvelope<EventData<D>, D['type']>;

/**
 * Defines an event type: a name, a data schema (zod 4 or any synchronous
 * Standard Schema) and a version. The data type is inferred from the schema,
 * so a wrong payload is a compile error, and `create` checks it at run time too.
 *
 * @throws TypeError or RangeError for an invalid type, schema or option.
 * @example
 * import { defineEvent } from 'switchboard';
 * import { z } from 'zod';
 * const OrderPlaced = defineEvent('order.placed', z.object({ orderId: z.int(), total: z.number() }));
 * const event = OrderPlaced.create({ orderId: 1, total: 9.5 }); // topic 'order', version '1'
 */
export function defineEvent<Type extends string, Schema extends StandardSchemaV1>(
  type: Type,
  dataSchema: Schema,
  options: EventDefinitionOptions<InferOutput<Schema>> = {},
): EventDefinition<Type, Schema> {
  if (typeof type !== 'string' || !/^\S+$/.test(type)) {
    invalidOption('type', 'expected a non-empty string without spaces', TypeError);
  }
  if (!isStandardSchema(dataSchema)) {
    invalidOption('dataSchema', 'expected a Standard Schema (zod 4, valibot, arktype)', TypeError);
  }
  const version = versionOption(options.version ?? '1');
  const topic = nameOption('topic', options.topic ?? defaultTopic(type));
  const subjectOf =
    options.subject === undefined ? undefined : functionOption('subject', options.subject);
  type Data = InferOutput<Schema>;
  type Envelope = EventEnvelope<Data, Type>;

  const checkData = (data: unknown): Data => {
    const result = validateSync(dataSchema, data, `The data schema of "${type}"`);
    if (result.issues !== undefined) {
      throw new EventValidationError(type, result.issues.map(underData));
    }
    return result.value;
  };

  const definition: EventDefinition<Type, Schema> = {
    type,
    topic,
    version,
    schema: dataSchema,
    create(data, meta = {}): Envelope {
      const value = checkData(data);
      const context = currentCorrelation();
      const subject = meta.subject ?? subjectOf?.(value);
      const causationid = meta.causationId ?? context?.causationId;
      const id = meta.id === undefined ? randomUuid() : nameOption('meta.id', meta.id);
      const envelope: { -readonly [K in keyof Envelope]: Envelope[K] } = {
        specversion: '1.0',
        id,
        source: meta.source ?? '',
        type,
        time: eventTime(meta.time),
        datacontenttype: 'application/json',
        dataversion: version,
        correlationid: meta.correlationId ?? context?.correlationId ?? id,
        traceparent: childTraceparent(context?.traceparent),
        data: value,
      };
      // Added only when present, after the literal: the usual event has
      // neither, and spreads in the literal cost a publish's hot path.
      if (subject !== undefined) envelope.subject = nameOption('subject', subject);
      if (causationid !== undefined) envelope.causationid = causationid;
      return envelope;
    },
    parse: (value) => {
      const envelope = fromCloudEvent(value);
      const issues: SchemaIssue[] = [];
      if (envelope.type !== type) issues.push({ path: ['type'], message: `Expected "${type}"` });
      if (envelope.dataversion !== version) {
        issues.push({ path: ['dataversion'], message: `Expected "${version}"` });
      }
      if (issues.length > 0) throw new EventValidationError(envelope.type, issues);
      return { ...envelope, type, data: checkData(envelope.data) };
    },
    is: (event): event is Envelope => event.type === type && event.dataversion === version,
  };
  dataParsers.set(definition, (envelope) => ({
    ...envelope,
    type,
    data: checkData(envelope.data),
  }));
  return definition;
}

/** Per definition: `parse` for an envelope already validated by `decodeEvent` (its data only). */
const dataParsers = new WeakMap<object, (envelope: EventEnvelope) => EventEnvelope>();

/**
 * `definition.parse(envelope)` for an envelope that `decodeEvent` already
 * validated: checks only the type, version and data, not the envelope again.
 *
 * @throws {@link EventValidationError} as `parse` does.
 */
export function parseDecoded(definition: EventDefinition, envelope: EventEnvelope): EventEnvelope {
  const parser = dataParsers.get(definition);
  return parser !== undefined && definition.is(envelope)
    ? parser(envelope)
    : definition.parse(envelope);
}

function defaultTopic(type: string): string {
  const dot = type.indexOf('.');
  return dot > 0 ? type.slice(0, dot) : type;
}

function versionOption(version: string | number): string {
  if (typeof version === 'number') {
    if (!Number.isSafeInteger(version) || version < 0) {
      invalidOption('version', `expected an integer ≥ 0 or a string, got ${version}`);
    }
    return String(version);
  }
  return nameOption('version', version);
}

// Events created in the same millisecond share one timestamp string: the
// formatting cost more than the rest of stamping an event.
let lastMs = Number.NaN;
let lastTime = '';

function eventTime(time: string | Date | undefined): string {
  if (time === undefined) {
    const now = Date.now();
    if (now !== lastMs) {
      lastMs = now;
      lastTime = new Date(now).toISOString();
    }
    return lastTime;
  }
  if (time instanceof Date) {
    if (Number.isNaN(time.getTime())) invalidOption('meta.time', 'expected a valid Date');
    return time.toISOString();
  }
  if (!isEventTime(time)) invalidOption('meta.time', `expected an RFC 3339 timestamp`);
  return time;
}

function underData(issue: SchemaIssue): SchemaIssue {
  return { message: issue.message, path: ['data', ...issue.path] };
}
