import { describe, expect, it } from 'vitest';
import {
  childTraceparent,
  createTraceparent,
  formatTraceparent,
  parseTraceparent,
} from 'switchboard';

// The example from the W3C Trace Context recommendation.
const SPEC_EXAMPLE = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const VALID = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

describe('parseTraceparent', () => {
  it('parses the specification example', () => {
    expect(parseTraceparent(SPEC_EXAMPLE)).toEqual({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      parentId: '00f067aa0ba902b7',
      flags: 1,
    });
  });

  it.each([
    ['empty', ''],
    ['uppercase hex', SPEC_EXAMPLE.toUpperCase()],
    ['version ff', 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'],
    ['all-zero trace id', `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`],
    ['all-zero parent id', `00-4bf92f3577b34da6a3ce929d0e0e4736-${'0'.repeat(16)}-01`],
    ['short trace id', '00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01'],
    ['version 00 with extra fields', `${SPEC_EXAMPLE}-extra`],
    ['garbage', 'not-a-traceparent'],
  ])('rejects %s', (_name, header) => {
    expect(parseTraceparent(header)).toBeUndefined();
  });

  it('accepts a future version with extra fields, ignoring them', () => {
    expect(
      parseTraceparent('01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-ever')
        ?.traceId,
    ).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
  });

  it('returns undefined for a missing header', () => {
    expect(parseTraceparent(undefined)).toBeUndefined();
    expect(parseTraceparent(null)).toBeUndefined();
  });
});

describe('formatTraceparent', () => {
  it('round-trips with parseTraceparent', () => {
    const parsed = parseTraceparent(SPEC_EXAMPLE);
    expect(parsed).toBeDefined();
    if (parsed) expect(formatTraceparent(parsed)).toBe(SPEC_EXAMPLE);
  });

  it('rejects invalid parts', () => {
    expect(() =>
      formatTraceparent({ traceId: 'x', parentId: '00f067aa0ba902b7', flags: 1 }),
    ).toThrow(TypeError);
    expect(() =>
      formatTraceparent({
        traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
        parentId: '0'.repeat(16),
        flags: 1,
      }),
    ).toThrow(TypeError);
    expect(() =>
      formatTraceparent({
        traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
        parentId: '00f067aa0ba902b7',
        flags: 256,
      }),
    ).toThrow(RangeError);
  });
});

describe('createTraceparent and childTraceparent', () => {
  it('creates valid, sampled, distinct root traces', () => {
    const a = createTraceparent();
    const b = createTraceparent();
    expect(a).toMatch(VALID);
    expect(a.endsWith('-01')).toBe(true);
    expect(parseTraceparent(a)?.traceId).not.toBe(parseTraceparent(b)?.traceId);
  });

  it('keeps the trace id and flags of the parent and makes a new span id', () => {
    const child = childTraceparent(SPEC_EXAMPLE);
    const parsed = parseTraceparent(child);
    expect(parsed?.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(parsed?.flags).toBe(1);
    expect(parsed?.parentId).not.toBe('00f067aa0ba902b7');
  });

  it('keeps the trace and flags of each parent when calls alternate between parents', () => {
    const other = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00';
    const future = '01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03-what-ever';
    for (let round = 0; round < 3; round++) {
      for (const [parent, traceId, flags] of [
        [SPEC_EXAMPLE, '4bf92f3577b34da6a3ce929d0e0e4736', '01'],
        [other, '0af7651916cd43dd8448eb211c80319c', '00'],
        [SPEC_EXAMPLE, '4bf92f3577b34da6a3ce929d0e0e4736', '01'],
        [future, '4bf92f3577b34da6a3ce929d0e0e4736', '03'],
      ] as const) {
        const child = childTraceparent(parent);
        expect(child).toMatch(VALID);
        expect(child.startsWith(`00-${traceId}-`)).toBe(true);
        expect(child.endsWith(`-${flags}`)).toBe(true);
      }
    }
    const spans = new Set(Array.from({ length: 100 }, () => childTraceparent(SPEC_EXAMPLE)));
    expect(spans.size).toBe(100);
  });

  it('starts a new trace when the parent is missing or invalid', () => {
    expect(childTraceparent(undefined)).toMatch(VALID);
    expect(parseTraceparent(childTraceparent('garbage'))?.traceId).toMatch(/^[0-9a-f]{32}$/);
  });
});
