import { EventValidationError } from '../errors.js';
import { encodeEvent } from './decode.js';
import { fromCloudEvent, toCloudEvent, type EventEnvelope } from './envelope.js';
import { quickEnvelope } from './quick-envelope.js';
import { nestsDeeperThan } from './json-depth.js';

/** What a bus accepts: subscribers refuse anything past these, so publishing does too. */
export type EventLimits = { readonly maxBytes: number; readonly maxDepth: number };

/**
 * An event ready to publish: `source` stamped when empty, the envelope
 * validated, and its encoding within `maxBytes` and `maxDepth`.
 *
 * @throws {@link EventValidationError} for an invalid, unencodable or oversized event.
 */
export function prepareEvent<E extends EventEnvelope>(
  event: E,
  source: string,
  { maxBytes, maxDepth }: EventLimits,
): { readonly event: E; readonly payload: string } {
  const stamped: E = event.source === '' ? { ...event, source } : event;
  // What create() makes is valid and holds only CloudEvents attributes: it
  // needs neither the schema nor a copy without the other properties. Not an
  // object with a toJSON of its own: JSON.stringify would send what it says.
  const usual = !('toJSON' in stamped) && quickEnvelope(stamped) !== undefined;
  if (!usual) fromCloudEvent(toCloudEvent(stamped));
  let payload: string;
  try {
    payload = usual ? JSON.stringify(stamped) : encodeEvent(stamped);
  } catch (error) {
    // JSON.stringify throws on a BigInt or a cycle in `data`.
    const message = `Not JSON-encodable: ${error instanceof Error ? error.message : String(error)}`;
    throw new EventValidationError(stamped.type, [{ path: ['data'], message }]);
  }
  // A UTF-16 unit takes at most 3 bytes in UTF-8: most events need no count.
  const bytes = payload.length * 3 <= maxBytes ? 0 : Buffer.byteLength(payload, 'utf8');
  if (bytes > maxBytes) {
    throw new EventValidationError(stamped.type, [
      {
        path: [],
        message: `The encoded event is ${bytes} bytes, over maxEventBytes (${maxBytes})`,
      },
    ]);
  }
  if (nestsDeeperThan(payload, maxDepth)) {
    throw new EventValidationError(stamped.type, [
      { path: [], message: `The encoded event nests deeper than maxEventDepth (${maxDepth})` },
    ]);
  }
  return { event: stamped, payload };
}
