import { z } from 'zod';
import { EventValidationError, type SchemaIssue } from '../errors.js';

/**
 * An event as it travels: a CloudEvents 1.0 envelope around typed `data`.
 *
 * The attribute names are the CloudEvents ones (lowercase, no separators);
 * `correlationid`, `causationid`, `traceparent` and `dataversion` are
 * extension attributes. `Type` narrows `type` for events from a definition.
 *
 * @example
 * import type { EventEnvelope } from 'switchboard';
 * function log(event: EventEnvelope): void {
 *   console.log(event.type, event.id, event.correlationid);
 * }
 */
export type EventEnvelope<T = unknown, Type extends string = string> = {
  /** Unique per event (a UUID when the library creates it); consumers dedupe on it. */
  readonly id: string;
  /** The publishing service, e.g. `'product-service'`; the bus fills it on publish. */
  readonly source: string;
  /** What happened, e.g. `'product.created'`. */
  readonly type: Type;
  /** The CloudEvents version; only `'1.0'` is accepted. */
  readonly specversion: '1.0';
  /** When it happened: an RFC 3339 timestamp (`Date#toISOString()`). */
  readonly time: string;
  /** Always JSON. */
  readonly datacontenttype: 'application/json';
  /** What the event is about within the source, e.g. a product id. */
  readonly subject?: string;
  /** The payload, as the definition's schema describes it. */
  readonly data: T;
  /** One id for the whole conversation (HTTP request → events → handlers). */
  readonly correlationid: string;
  /** The id of the event or request that caused this one. */
  readonly causationid?: string;
  /** W3C Trace Context of the span that published the event. */
  readonly traceparent?: string;
  /** The version of `data`'s schema, e.g. `'1'`. */
  readonly dataversion: string;
};

// CloudEvents 1.0 §3.1.1: lowercase ASCII letters and digits only.
const ATTRIBUTE_NAME = /^[a-z0-9]+$/;
// Non-empty and without whitespace: the shape of a URI-reference for `source`.
export const NO_SPACE = /^\S+$/;

const nonEmpty = z.string().min(1);

/**
 * The zod schema every received envelope must pass: CloudEvents 1.0 rules
 * (required attributes present and non-empty, `specversion` `'1.0'`, `time` in
 * RFC 3339, attribute names lowercase alphanumerics) plus the library's
 * extensions as strings. `data` is not checked here (a definition's `parse`
 * does that); unknown extension attributes are dropped.
 *
 * @example
 * import { EventEnvelopeSchema } from 'switchboard';
 * EventEnvelopeSchema.safeParse(JSON.parse(message)).success;
 */
export const EventEnvelopeSchema = z.object({
  id: nonEmpty,
  source: z.string().regex(NO_SPACE, 'Expected a non-empty URI-reference'),
  type: nonEmpty,
  specversion: z.literal('1.0', 'Unsupported specversion: expected "1.0"'),
  time: z.iso.datetime({ offset: true, error: 'Expected an RFC 3339 timestamp' }),
  datacontenttype: z.literal('application/json'),
  subject: nonEmpty.optional(),
  // Any JSON value, `null` included; only a missing `data` is refused.
  data: z.unknown().nonoptional('Required'),
  correlationid: nonEmpty,
  causationid: nonEmpty.optional(),
  traceparent: nonEmpty.optional(),
  dataversion: nonEmpty,
});

/** The envelope schema's attribute names in CloudEvents order, for a stable encoding. */
export const ATTRIBUTES = [
  'specversion',
  'id',
  'source',
  'type',
  'time',
  'datacontenttype',
  'subject',
  'dataversion',
  'correlationid',
  'causationid',
  'traceparent',
] as const;

/**
 * The envelope in CloudEvents structured JSON format: a plain object with the
 * attributes at the top level and `data` as a JSON value; absent optional
 * attributes are left out. Does not validate (see {@link fromCloudEvent}).
 *
 * @example
 * import { ProductEvents, toCloudEvent } from 'switchboard';
 * const event = ProductEvents.created.create({ productId: 1, name: 'Pen', price: 2, createdBy: 7 });
 * JSON.stringify(toCloudEvent(event));
 */
export function toCloudEvent(envelope: EventEnvelope): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of ATTRIBUTES) {
    const value = envelope[name];
    if (value !== undefined) out[name] = value;
  }
  out['data'] = envelope.data;
  return out;
}

/**
 * Reads a CloudEvents structured-JSON object (already parsed) into an
 * envelope, checking it against {@link EventEnvelopeSchema} and the spec's
 * naming rule for every attribute, known or not.
 *
 * @throws {@link EventValidationError} listing every problem found.
 * @example
 * import { fromCloudEvent } from 'switchboard';
 * const event = fromCloudEvent(JSON.parse(body));
 */
export function fromCloudEvent(value: unknown): EventEnvelope {
  const issues: SchemaIssue[] = [];
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    for (const name of Object.keys(value)) {
      if (!ATTRIBUTE_NAME.test(name)) {
        issues.push({ path: [name], message: 'Attribute names are lowercase a-z and 0-9 only' });
      }
    }
  }
  const result = EventEnvelopeSchema.safeParse(value);
  if (!result.success) {
    issues.push(...result.error.issues.map(({ path, message }) => ({ path, message })));
  }
  if (issues.length > 0 || !result.success) {
    throw new EventValidationError(typeOf(value), issues);
  }
  return result.data as EventEnvelope;
}

/** True when `value` is an RFC 3339 timestamp the envelope accepts as `time`. */
export function isEventTime(value: string): boolean {
  return EventEnvelopeSchema.shape.time.safeParse(value).success;
}

function typeOf(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const type = (value as { type?: unknown }).type;
  return typeof type === 'string' ? type : undefined;
}
