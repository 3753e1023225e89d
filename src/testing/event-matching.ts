import { isDeepStrictEqual } from 'node:util';
import type { EventData, EventDefinition, EventOf } from '../events/define-event.js';
import type { EventEnvelope } from '../events/envelope.js';

/**
 * What `expectPublished` looks for: some fields of the event's data (each
 * compared with deep equality), or a predicate over the whole typed event.
 *
 * @example
 * import type { EventMatcher } from 'switchboard/testing';
 * import type { ProductEvents } from 'switchboard';
 * const byId: EventMatcher<typeof ProductEvents.created> = { productId: 1 };
 * const cheap: EventMatcher<typeof ProductEvents.created> = (event) => event.data.price < 5;
 */
export type EventMatcher<D extends EventDefinition> =
  DataMatcher<EventData<D>> | ((event: EventOf<D>) => boolean);

/** Some fields of an object data type; nothing for data that is not an object. */
export type DataMatcher<Data> = Data extends object
  ? { readonly [K in keyof Data]?: Data[K] }
  : never;

/** True when `event` satisfies `matcher` (no matcher: every event). */
export function matchesEvent<D extends EventDefinition>(
  event: EventOf<D>,
  matcher: EventMatcher<D> | undefined,
): boolean {
  if (matcher === undefined) return true;
  if (typeof matcher === 'function') return matcher(event);
  const data: unknown = event.data;
  if (typeof data !== 'object' || data === null) return false;
  return Object.entries(matcher).every(([key, value]) =>
    isDeepStrictEqual((data as Record<string, unknown>)[key], value),
  );
}

const MAX_LISTED = 20;
const MAX_LINE = 200;

/** One line per event (type and data, truncated), for assertion messages. */
export function describeEvents(events: readonly EventEnvelope[]): string {
  if (events.length === 0) return '  (nothing)';
  const lines = events.slice(0, MAX_LISTED).map((event) => {
    const line = `  - ${event.type} ${safeJson(event.data)}`;
    return line.length > MAX_LINE ? `${line.slice(0, MAX_LINE - 1)}…` : line;
  });
  if (events.length > MAX_LISTED) lines.push(`  … and ${events.length - MAX_LISTED} more`);
  return lines.join('\n');
}

function safeJson(value: unknown): string {
  try {
    // `undefined` for a function or `undefined` itself, whatever lib.d.ts says.
    const json = JSON.stringify(value) as string | undefined;
    return json ?? String(value);
  } catch {
    return String(value);
  }
}
