import { describe, expect, it } from 'vitest';
import { ProductEvents, fromCloudEvent, toCloudEvent } from 'switchboard';
import { quickEnvelope } from '../../src/events/quick-envelope.js';

const valid = toCloudEvent(
  ProductEvents.created.create(
    { productId: 1, name: 'Pen', price: 2, createdBy: 7 },
    { source: 'product-service', causationId: 'cause-1' },
  ),
);

// Each attribute given values the schema accepts and values it refuses.
const variants: Record<string, readonly unknown[]> = {
  specversion: ['1.0', '0.3', 1, ''],
  id: ['x', '', 7, null],
  source: ['svc', 'a b', '', ' svc', 3],
  type: ['t', '', {}],
  time: [
    '2026-12-06T10:00:00.123Z',
    '2026-12-06T10:00:00+01:00',
    '2024-02-29T23:59:59Z',
    '2023-02-29T00:00:00Z',
    '2026-13-01T00:00:00Z',
    '2026-12-06T24:00:00Z',
    '2026-12-06T10:00:00',
    '2026-12-06 10:00:00Z',
    '',
    1_700_000_000_000,
  ],
  datacontenttype: ['application/json', 'text/plain', undefined],
  subject: ['s', '', 5, undefined],
  dataversion: ['1', '', 1],
  correlationid: ['c', '', null],
  causationid: ['c', '', false, undefined],
  traceparent: ['00-aa-bb-01', '', undefined],
  data: [null, 0, 'x', [], { a: 1 }, undefined],
};

function schemaVerdict(value: object): unknown {
  try {
    return fromCloudEvent(value);
  } catch {
    return 'refused';
  }
}

describe('quickEnvelope', () => {
  it('accepts only what EventEnvelopeSchema accepts, attribute by attribute', () => {
    let accepted = 0;
    for (const [name, values] of Object.entries(variants)) {
      for (const candidate of values) {
        // `undefined` stands for a missing attribute: JSON drops it.
        const value: Record<string, unknown> = { ...valid, [name]: candidate };
        const quick = quickEnvelope(JSON.parse(JSON.stringify(value)) as object);
        const schema = schemaVerdict(JSON.parse(JSON.stringify(value)) as object);
        if (quick === undefined) continue;
        accepted += 1;
        expect(schema, `${name} = ${JSON.stringify(candidate)}`).toEqual(quick);
      }
    }
    // The valid values above, each accepted without the schema.
    expect(accepted).toBe(21);
  });

  it('leaves anything with other attributes to the schema', () => {
    expect(quickEnvelope({ ...valid })).toBeDefined();
    expect(quickEnvelope({ ...valid, extension: 'x' })).toBeUndefined();
    expect(quickEnvelope({ ...valid, Bad: 'x' })).toBeUndefined();
  });
});
