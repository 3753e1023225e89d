import fc from 'fast-check';
import { UserEvents, decodeEvent, encodeEvent } from 'switchboard';

/** The bus limits every fuzzed subscriber runs with: small, so oversized input is cheap. */
export const LIMITS = { maxEventBytes: 2_048, maxEventDepth: 16 } as const;

/** What a consumer must do with a payload. */
export type Outcome =
  | { readonly kind: 'delivered'; readonly id: string }
  | { readonly kind: 'dead' }
  | { readonly kind: 'ignored' };

/**
 * What a subscriber handling only `user.login` must do with `payload`: the
 * decoder's verdict, then the definition's. A type it has no handler for is
 * acknowledged and counted, neither delivered nor dead-lettered.
 */
export function expectedOutcome(payload: string | Uint8Array): Outcome {
  let envelope;
  try {
    envelope = decodeEvent(payload, {
      maxBytes: LIMITS.maxEventBytes,
      maxDepth: LIMITS.maxEventDepth,
    });
  } catch {
    return { kind: 'dead' };
  }
  if (envelope.type !== UserEvents.login.type) return { kind: 'ignored' };
  try {
    UserEvents.login.parse(envelope);
  } catch {
    return { kind: 'dead' };
  }
  return { kind: 'delivered', id: envelope.id };
}

/** A valid `user.login` payload, with a fresh id. */
export function validPayload(userId: number): string {
  return encodeEvent({
    ...UserEvents.login.create({ userId, email: 'ada@example.com' }),
    source: 'fuzz',
  });
}

const ATTRIBUTES = [
  'id',
  'source',
  'type',
  'specversion',
  'time',
  'datacontenttype',
  'subject',
  'data',
  'correlationid',
  'causationid',
  'traceparent',
  'dataversion',
] as const;

/** A valid event with one attribute (or a data field) removed or replaced by any JSON value. */
const mutated = fc
  .tuple(
    fc.integer({ min: 1, max: 1_000 }),
    fc.constantFrom(...ATTRIBUTES, 'data.userId', 'data.email', '__proto__', 'constructor'),
    fc.option(fc.jsonValue({ maxDepth: 3 }), { nil: undefined }),
  )
  .map(([userId, key, value]) => {
    const event = JSON.parse(validPayload(userId)) as Record<string, unknown>;
    const data = event['data'] as Record<string, unknown>;
    const [target, name] = key.startsWith('data.') ? [data, key.slice(5)] : [event, key];
    if (value === undefined) Reflect.deleteProperty(target, name);
    // defineProperty: an own `__proto__` key, as JSON.parse would make it.
    else Object.defineProperty(target, name, { value, enumerable: true, writable: true });
    return JSON.stringify(event);
  });

/** A valid event cut short, or with one character replaced. */
const damaged = fc
  .tuple(fc.integer({ min: 1, max: 1_000 }), fc.nat(), fc.string({ maxLength: 2, unit: 'binary' }))
  .map(([userId, at, replacement]) => {
    const text = validPayload(userId);
    const index = at % text.length;
    return text.slice(0, index) + replacement + text.slice(index + 1);
  });

/** Nested arrays in data, around the depth limit and far past it; known valid or not. */
const deep = fc
  .tuple(fc.integer({ min: 1, max: 1_000 }), fc.integer({ min: 10, max: 20_000 }))
  .map(([userId, depth]): Input => ({
    payload: validPayload(userId).replace(
      '"data":{',
      `"data":{"deep":${'['.repeat(depth)}${']'.repeat(depth)},`,
    ),
    // The envelope is level 1 and data level 2.
    known: depth + 2 <= LIMITS.maxEventDepth ? 'valid' : 'invalid',
  }));

/** A valid event padded around the size limit; known valid or not. */
const padded = fc
  .tuple(fc.integer({ min: 1, max: 1_000 }), fc.integer({ min: 1_500, max: 4_000 }))
  .map(([userId, size]): Input => {
    const payload = validPayload(userId).replace(
      '"data":{',
      `"data":{"pad":"${'x'.repeat(size)}",`,
    );
    return {
      payload,
      known: Buffer.byteLength(payload) <= LIMITS.maxEventBytes ? 'valid' : 'invalid',
    };
  });

/** Text with a lone surrogate: never valid, whatever else it holds. */
const loneSurrogate = fc
  .tuple(fc.integer({ min: 1, max: 1_000 }), fc.constantFrom('\ud800', '\udfff', '\udbff'))
  .map(([userId, half]): Input => ({
    payload: validPayload(userId).replace('"source":"fuzz"', `"source":"fu${half}zz"`),
    known: 'invalid',
  }));

/**
 * One payload of a run (text, or raw bytes for Redis). `known` is what the
 * generator knows for sure about it, independently of the decoder (the
 * oracle must agree); most inputs are left to the oracle.
 */
export type Input<P = string> = { readonly payload: P; readonly known?: 'valid' | 'invalid' };

const unknown = (payload: string): Input => ({ payload });

/** Text a producer could send: JSON values, any string (lone surrogates included), mangled events. */
export const anyText: fc.Arbitrary<Input> = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }).map((value) => unknown(JSON.stringify(value))),
  fc.string({ unit: 'binary', maxLength: 200 }).map(unknown),
  fc.uint8Array({ maxLength: 300 }).map((bytes) => unknown(Buffer.from(bytes).toString('latin1'))),
  mutated.map(unknown),
  damaged.map(unknown),
  deep,
  padded,
  loneSurrogate,
);

/** A valid event, with a fresh id. */
export const valid: fc.Arbitrary<Input> = fc
  .integer({ min: 1, max: 1_000_000 })
  .map((userId) => ({ payload: validPayload(userId), known: 'valid' }));

/** One run: valid events interleaved with anything else. */
export const inputs: fc.Arbitrary<Input[]> = fc.array(
  fc.oneof({ weight: 1, arbitrary: valid }, { weight: 3, arbitrary: anyText }),
  { minLength: 1, maxLength: 20 },
);

/** Counts of each value, to compare collections that may hold duplicates. */
export function tally(values: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
}

// Bytes that can never appear in UTF-8, or only as part of a sequence they do not start.
const BAD_BYTES = [0x80, 0xbf, 0xc0, 0xc1, 0xf5, 0xfe, 0xff] as const;

/** A valid event's bytes with one byte replaced by one that UTF-8 never allows there. */
const corruptedBytes = fc
  .tuple(fc.integer({ min: 1, max: 1_000 }), fc.nat(), fc.constantFrom(...BAD_BYTES))
  .map(([userId, at, bad]): Input<Uint8Array> => {
    const bytes = Buffer.from(validPayload(userId));
    bytes[at % bytes.length] = bad;
    return { payload: bytes, known: 'invalid' };
  });

/** A valid event whose text holds a multi-byte character, cut in the middle of it. */
const cutCharacter = fc.integer({ min: 1, max: 1_000 }).map((userId): Input<Uint8Array> => {
  const bytes = Buffer.from(validPayload(userId).replace('"source":"fuzz"', '"source":"fuzz€"'));
  const euro = bytes.indexOf(Buffer.from('€'));
  return {
    payload: Buffer.concat([bytes.subarray(0, euro + 1), bytes.subarray(euro + 3)]),
    known: 'invalid',
  };
});

/** Raw bytes for a Redis stream entry: any bytes, any text as UTF-8, broken UTF-8 in valid events. */
export const anyBytes: fc.Arbitrary<Input<Uint8Array>> = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map((payload) => ({ payload })),
  anyText.map(({ payload, known }) => {
    const bytes = Buffer.from(payload, 'utf8');
    // Lone surrogates become U+FFFD on the way: what was known no longer holds.
    return known === undefined || bytes.toString('utf8') !== payload
      ? { payload: bytes }
      : { payload: bytes, known };
  }),
  corruptedBytes,
  cutCharacter,
);

/** One Redis run: valid events interleaved with any bytes. */
export const byteInputs: fc.Arbitrary<Input<Uint8Array>[]> = fc.array(
  fc.oneof(
    {
      weight: 1,
      arbitrary: valid.map(({ payload }) => ({
        payload: Buffer.from(payload),
        known: 'valid' as const,
      })),
    },
    { weight: 3, arbitrary: anyBytes },
  ),
  { minLength: 1, maxLength: 15 },
);
