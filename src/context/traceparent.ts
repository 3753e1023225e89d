import { randomHex } from '../internal/random-ids.js';

/** The parts of a W3C Trace Context `traceparent` header. */
export type TraceContext = {
  /** 32 lowercase hex characters, not all zero. */
  readonly traceId: string;
  /** The calling span: 16 lowercase hex characters, not all zero. */
  readonly parentId: string;
  /** Trace flags; bit 0 is "sampled". */
  readonly flags: number;
};

// Version 00 layout; later versions may append fields after a dash, which a
// version-00 parser must ignore (W3C Trace Context §3.2.4).
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

/**
 * Parses a `traceparent` header by the W3C rules; returns `undefined` for
 * anything invalid (so a bad inbound header starts a new trace rather than
 * failing a request).
 *
 * @example
 * import { parseTraceparent } from 'switchboard';
 * parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')?.traceId;
 */
export function parseTraceparent(header: string | undefined | null): TraceContext | undefined {
  if (typeof header !== 'string') return undefined;
  const match = TRACEPARENT.exec(header.trim());
  if (match === null) return undefined;
  const [, version, traceId, parentId, flags, rest] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
    string | undefined,
  ];
  if (version === 'ff') return undefined;
  if (version === '00' && rest !== undefined) return undefined;
  if (traceId === ZERO_TRACE || parentId === ZERO_SPAN) return undefined;
  return { traceId, parentId, flags: Number.parseInt(flags, 16) };
}

/** Formats a {@link TraceContext} as a version-00 `traceparent` header. */
export function formatTraceparent(context: TraceContext): string {
  if (!/^[0-9a-f]{32}$/.test(context.traceId) || context.traceId === ZERO_TRACE) {
    throw new TypeError(`traceId must be 32 lowercase hex characters, not all zero`);
  }
  if (!/^[0-9a-f]{16}$/.test(context.parentId) || context.parentId === ZERO_SPAN) {
    throw new TypeError(`parentId must be 16 lowercase hex characters, not all zero`);
  }
  if (!Number.isInteger(context.flags) || context.flags < 0 || context.flags > 0xff) {
    throw new RangeError(`flags must be an integer from 0 to 255`);
  }
  return `00-${context.traceId}-${context.parentId}-${context.flags.toString(16).padStart(2, '0')}`;
}

/** A new root trace: random trace and span ids, sampled. */
export function createTraceparent(): string {
  // Our own random ids need none of formatTraceparent's checks: one per event and call.
  // Both ids from one draw of the pool: one hex conversion, not two.
  for (;;) {
    const hex = randomHex(24);
    const traceId = hex.slice(0, 32);
    const spanId = hex.slice(32);
    if (traceId !== ZERO_TRACE && spanId !== ZERO_SPAN) return `00-${traceId}-${spanId}-01`;
  }
}

/**
 * The `traceparent` for a call made from within `parent`: same trace, a new
 * span id, same flags. An invalid or missing parent starts a new trace.
 */
export function childTraceparent(parent: string | undefined): string {
  const context = parseTraceparent(parent);
  if (context === undefined) return createTraceparent();
  const flags = context.flags.toString(16).padStart(2, '0');
  return `00-${context.traceId}-${nonZeroHex(8)}-${flags}`;
}

// All-zero ids are invalid; the chance is 2^-64 or less, but retry anyway.
function nonZeroHex(bytes: number): string {
  for (;;) {
    const hex = randomHex(bytes);
    if (hex !== ZERO_TRACE && hex !== ZERO_SPAN) return hex;
  }
}
