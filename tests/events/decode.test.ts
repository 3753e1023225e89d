import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MAX_EVENT_BYTES,
  DEFAULT_MAX_EVENT_DEPTH,
  EventDecodeError,
  ProductEvents,
  decodeEvent,
  encodeEvent,
  isSwitchboardError,
  toCloudEvent,
  type EventDecodeReason,
} from 'switchboard';

const event = ProductEvents.created.create(
  { productId: 1, name: 'Pen', price: 2, createdBy: 7 },
  { source: 'product-service' },
);
const wire = toCloudEvent(event);

function reasonOf(raw: string | Uint8Array, maxBytes?: number): EventDecodeReason {
  try {
    decodeEvent(raw, maxBytes === undefined ? {} : { maxBytes });
  } catch (error) {
    if (isSwitchboardError(error, 'EVENT_DECODE')) return error.reason;
    throw error;
  }
  throw new Error('decodeEvent accepted the input');
}

describe('decodeEvent', () => {
  it('decodes strings and buffers into the same envelope', () => {
    const text = encodeEvent(event);
    expect(decodeEvent(text)).toEqual(event);
    expect(decodeEvent(Buffer.from(text))).toEqual(event);
    expect(decodeEvent(new TextEncoder().encode(text))).toEqual(event);
  });

  it('refuses an event over maxBytes, counting UTF-8 bytes, before parsing', () => {
    expect(DEFAULT_MAX_EVENT_BYTES).toBe(1024 * 1024);
    const big = encodeEvent({ ...event, data: { blob: 'x'.repeat(DEFAULT_MAX_EVENT_BYTES) } });
    expect(reasonOf(big)).toBe('too-large');
    expect(reasonOf(Buffer.from(big))).toBe('too-large');
    // Not JSON at all: only a size check that runs first can answer 'too-large'.
    expect(reasonOf('{'.repeat(101), 100)).toBe('too-large');
    const text = encodeEvent({ ...event, data: { name: 'é'.repeat(50) } });
    const bytes = Buffer.byteLength(text);
    expect(bytes).toBeGreaterThan(text.length);
    expect(reasonOf(text, bytes - 1)).toBe('too-large');
    expect(decodeEvent(text, { maxBytes: bytes }).data).toEqual({ name: 'é'.repeat(50) });
  });

  it('refuses malformed JSON and invalid UTF-8', () => {
    expect(reasonOf('{"id":')).toBe('malformed-json');
    expect(reasonOf('')).toBe('malformed-json');
    expect(reasonOf(Buffer.from([0x7b, 0xff, 0x7d]))).toBe('malformed-json');
    let caught: unknown;
    try {
      decodeEvent('nope');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(EventDecodeError);
    expect((caught as EventDecodeError).cause).toBeInstanceOf(SyntaxError);
  });

  it('JSON.parse alone keeps an own "__proto__" key; the decoder drops it and pollutes nothing', () => {
    const hostile = '{"__proto__":{"polluted":true}}';
    expect(Object.hasOwn(JSON.parse(hostile) as object, '__proto__')).toBe(true);
    const text = JSON.stringify({ ...wire, data: { name: 'x' } }).replace(
      '"data":{',
      '"data":{"__proto__":{"polluted":true},"nested":{"constructor":{"prototype":{"polluted":true}}},',
    );
    const decoded = decodeEvent(text);
    const data = decoded.data as Record<string, unknown>;
    expect(Object.hasOwn(data, '__proto__')).toBe(false);
    expect(Object.getPrototypeOf(data)).toBe(Object.prototype);
    expect(data).toEqual({ name: 'x', nested: {} });
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.hasOwn(Object.prototype, 'polluted')).toBe(false);
    // Merging the decoded data, as careless consumer code does, still pollutes nothing.
    Object.assign({}, data);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('also drops forbidden keys spelled with \\u escapes, at any depth', () => {
    const text = JSON.stringify({ ...wire, data: { list: [{ safe: 1 }] } }).replace(
      '{"safe":1}',
      '{"safe":1,"\\u005f_proto__":{"polluted":true},"construct\\u006fr":1}',
    );
    expect(decodeEvent(text).data).toEqual({ list: [{ safe: 1 }] });
  });

  it('refuses an unknown specversion before anything else about the envelope', () => {
    expect(reasonOf(JSON.stringify({ ...wire, specversion: '0.3' }))).toBe(
      'unsupported-specversion',
    );
    expect(reasonOf(JSON.stringify({ specversion: '2.0' }))).toBe('unsupported-specversion');
    expect(reasonOf(JSON.stringify({ ...wire, specversion: 1 }))).toBe('unsupported-specversion');
  });

  it('refuses invalid envelopes, keeping the validation error as the cause', () => {
    for (const value of [[], null, 'event', { ...wire, id: undefined }, { ...wire, type: '' }]) {
      expect(reasonOf(JSON.stringify(value))).toBe('invalid-envelope');
    }
    expect(reasonOf(JSON.stringify({ ...wire, specversion: undefined }))).toBe('invalid-envelope');
    try {
      decodeEvent(JSON.stringify({ ...wire, source: '' }));
    } catch (error) {
      expect(isSwitchboardError(error, 'EVENT_DECODE')).toBe(true);
      expect(isSwitchboardError((error as Error).cause, 'EVENT_VALIDATION')).toBe(true);
      expect((error as Error).message).toMatch(/source:/);
      return;
    }
    expect.unreachable();
  });

  it('leaves data unknown: a definition parses it', () => {
    const decoded = decodeEvent(JSON.stringify({ ...wire, data: { productId: 'one' } }));
    expect(decoded.data).toEqual({ productId: 'one' });
    expect(ProductEvents.created.is(decoded)).toBe(true);
    expect(() => ProductEvents.created.parse(decoded)).toThrow(/data\.productId/);
  });

  it('refuses nesting past maxDepth before parsing, counting only brackets outside strings', () => {
    expect(DEFAULT_MAX_EVENT_DEPTH).toBe(64);
    const withData = (json: string): string =>
      JSON.stringify({ ...wire, data: 0 }).replace('"data":0', `"data":${json}`);
    // The envelope is level 1, so data may nest 63 more levels.
    const deepest = withData(`${'['.repeat(63)}${']'.repeat(63)}`);
    expect(decodeEvent(deepest).data).toBeInstanceOf(Array);
    expect(reasonOf(withData(`${'['.repeat(64)}${']'.repeat(64)}`))).toBe('too-deep');
    expect(reasonOf(withData(`${'{"a":'.repeat(64)}1${'}'.repeat(64)}`))).toBe('too-deep');
    // Far past any recursion limit: refused, not a stack overflow.
    expect(reasonOf(withData(`${'['.repeat(200_000)}${']'.repeat(200_000)}`))).toBe('too-deep');
    // Not JSON at all: only a depth check that runs first can answer 'too-deep'.
    expect(reasonOf('['.repeat(65))).toBe('too-deep');
    const inStrings = withData(JSON.stringify({ text: '[{'.repeat(500), quote: '\\"[[[' }));
    expect((decodeEvent(inStrings).data as { text: string }).text).toHaveLength(1_000);
    expect(decodeEvent(withData('[[[]]]'), { maxDepth: 4 }).data).toEqual([[[]]]);
    expect(() => decodeEvent(withData('[[[]]]'), { maxDepth: 3 })).toThrow(/maxDepth \(3\)/);
  });

  it('refuses a string with lone surrogates: what invalid UTF-8 becomes in JavaScript', () => {
    const text = encodeEvent({ ...event, data: { name: 'Pen' } }).replace('Pen', 'P\ud800n');
    expect(reasonOf(text)).toBe('malformed-json');
    expect(reasonOf(text.replace('\ud800', '\udc00'))).toBe('malformed-json');
    // A pair is a character; the escaped form `\ud800` is JSON's own and stays accepted.
    expect(decodeEvent(text.replace('\ud800', '\ud83d\ude00')).data).toEqual({ name: 'P😀n' });
    expect(decodeEvent(text.replace('\ud800', '\\ud800')).data).toEqual({ name: 'P\ud800n' });
  });

  it('validates maxBytes', () => {
    expect(() => decodeEvent('{}', { maxBytes: 0 })).toThrow(RangeError);
    expect(() => decodeEvent('{}', { maxBytes: 1.5 })).toThrow(/maxBytes/);
    expect(() => decodeEvent('{}', { maxDepth: 0 })).toThrow(/maxDepth/);
  });
});
