import { ATTRIBUTES, EventEnvelopeSchema, NO_SPACE, type EventEnvelope } from './envelope.js';

const NAMES = new Set<string>([...ATTRIBUTES, 'data']);
// The schema's own pattern for `time`, so both accept the same timestamps.
// Should zod keep it elsewhere one day, every envelope goes to the schema.
const TIME = (EventEnvelopeSchema.shape.time.def as { readonly pattern?: unknown }).pattern;

/**
 * `value` as an envelope when it is valid and holds nothing but envelope
 * attributes: the shape of every event `create()` makes and a bus publishes.
 * `undefined` otherwise, and then `fromCloudEvent` decides (and says what is
 * wrong). Accepts only what `EventEnvelopeSchema` accepts, at a tenth of its
 * cost; it runs for every event published and every event received.
 */
export function quickEnvelope(value: object): EventEnvelope | undefined {
  if (!(TIME instanceof RegExp)) return undefined;
  const v = value as Record<string, unknown>;
  for (const name of Object.keys(v)) if (!NAMES.has(name)) return undefined;
  const ok =
    v['specversion'] === '1.0' &&
    v['datacontenttype'] === 'application/json' &&
    nonEmpty(v['id']) &&
    nonEmpty(v['type']) &&
    nonEmpty(v['correlationid']) &&
    nonEmpty(v['dataversion']) &&
    typeof v['source'] === 'string' &&
    NO_SPACE.test(v['source']) &&
    typeof v['time'] === 'string' &&
    TIME.test(v['time']) &&
    v['data'] !== undefined &&
    absentOrNonEmpty(v, 'subject') &&
    absentOrNonEmpty(v, 'causationid') &&
    absentOrNonEmpty(v, 'traceparent');
  return ok ? (value as EventEnvelope) : undefined;
}

function nonEmpty(value: unknown): boolean {
  return typeof value === 'string' && value.length > 0;
}

function absentOrNonEmpty(v: Record<string, unknown>, name: string): boolean {
  return !(name in v) || nonEmpty(v[name]);
}
