import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  EventEnvelopeSchema,
  ProductEvents,
  defineEvent,
  fromCloudEvent,
  isSwitchboardError,
  toCloudEvent,
  type EventEnvelope,
} from 'switchboard';

const event = (): EventEnvelope =>
  ProductEvents.created.create(
    { productId: 1, name: 'Pen', price: 2, createdBy: 7 },
    { source: 'product-service', causationId: 'req-9' },
  );

// Without `key`: JSON with a missing member, as another producer might send.
function omit(object: Record<string, unknown>, key: string): Record<string, unknown> {
  return Object.fromEntries(Object.entries(object).filter(([name]) => name !== key));
}

function rejects(value: unknown): string[] {
  try {
    fromCloudEvent(value);
  } catch (error) {
    if (!isSwitchboardError(error, 'EVENT_VALIDATION')) throw error;
    return error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  }
  throw new Error('fromCloudEvent accepted the value');
}

describe('CloudEvents envelope', () => {
  it('round-trips through the structured JSON format', () => {
    const original = event();
    const wire: unknown = JSON.parse(JSON.stringify(toCloudEvent(original)));
    expect(fromCloudEvent(wire)).toEqual(original);
  });

  it('writes only spec-shaped attribute names, all required ones, with string extensions', () => {
    const cloudEvent = toCloudEvent(event());
    for (const name of Object.keys(cloudEvent)) expect(name).toMatch(/^[a-z0-9]{1,20}$/);
    for (const required of ['id', 'source', 'specversion', 'type']) {
      expect(cloudEvent[required]).toEqual(expect.any(String));
      expect(cloudEvent[required]).not.toBe('');
    }
    expect(cloudEvent['specversion']).toBe('1.0');
    expect(cloudEvent['datacontenttype']).toBe('application/json');
    for (const extension of ['correlationid', 'causationid', 'traceparent', 'dataversion']) {
      expect(typeof cloudEvent[extension]).toBe('string');
    }
    expect(cloudEvent['data']).toEqual({ productId: 1, name: 'Pen', price: 2, createdBy: 7 });
  });

  it('leaves absent optional attributes out instead of writing undefined', () => {
    const cloudEvent = toCloudEvent(defineEvent('a.b', z.object({})).create({}));
    expect(Object.keys(cloudEvent)).not.toContain('causationid');
    expect(Object.keys(cloudEvent)).not.toContain('subject');
    expect(Object.values(cloudEvent)).not.toContain(undefined);
    expect(toCloudEvent({ ...event(), data: null })).toHaveProperty('data', null);
  });

  it('rejects attribute names that are not lowercase alphanumerics', () => {
    const wire = toCloudEvent(event());
    expect(rejects({ ...wire, correlation_id: 'x' })).toEqual([
      'correlation_id: Attribute names are lowercase a-z and 0-9 only',
    ]);
    expect(rejects({ ...wire, Tenant: 'x' })[0]).toMatch(/^Tenant:/);
    expect(rejects({ ...wire, data_base64: 'AAAA' })[0]).toMatch(/^data_base64:/);
  });

  it('drops unknown extensions with valid names', () => {
    const parsed = fromCloudEvent({ ...toCloudEvent(event()), tenant: 'acme' });
    expect(parsed).not.toHaveProperty('tenant');
  });

  it.each(['id', 'source', 'type', 'specversion', 'time', 'correlationid', 'dataversion'])(
    'requires %s, present and non-empty',
    (name) => {
      const wire = toCloudEvent(event());
      expect(rejects(omit(wire, name)).some((issue) => issue.startsWith(`${name}:`))).toBe(true);
      expect(rejects({ ...wire, [name]: '' }).some((issue) => issue.startsWith(`${name}:`))).toBe(
        true,
      );
    },
  );

  it('requires data, but accepts null data', () => {
    const wire = omit(toCloudEvent(event()), 'data');
    expect(rejects(wire)).toEqual(['data: Required']);
    expect(fromCloudEvent({ ...wire, data: null }).data).toBeNull();
  });

  it('rejects extension values that are not strings', () => {
    const wire = toCloudEvent(event());
    for (const name of ['correlationid', 'causationid', 'traceparent', 'dataversion']) {
      expect(rejects({ ...wire, [name]: 1 }).some((issue) => issue.startsWith(`${name}:`))).toBe(
        true,
      );
    }
  });

  it('rejects an unknown specversion and a non-JSON content type', () => {
    const wire = toCloudEvent(event());
    expect(rejects({ ...wire, specversion: '0.3' })).toEqual([
      'specversion: Unsupported specversion: expected "1.0"',
    ]);
    expect(rejects({ ...wire, datacontenttype: 'text/plain' })[0]).toMatch(/^datacontenttype:/);
  });

  it('accepts RFC 3339 times with offsets and fractions, and nothing else', () => {
    const wire = toCloudEvent(event());
    for (const time of ['2024-05-01T10:00:00Z', '2024-05-01T10:00:00.123456+02:00']) {
      expect(fromCloudEvent({ ...wire, time }).time).toBe(time);
    }
    for (const time of ['2024-05-01', '2024-05-01 10:00:00Z', '2024-05-01T10:00:00', 'yesterday']) {
      expect(rejects({ ...wire, time })).toEqual(['time: Expected an RFC 3339 timestamp']);
    }
  });

  it('rejects a source with whitespace and values that are not objects', () => {
    expect(rejects({ ...toCloudEvent(event()), source: 'product service' })[0]).toMatch(/^source:/);
    for (const value of [null, [], 'event', 42]) expect(rejects(value).length).toBeGreaterThan(0);
  });

  it('names the event type in the error when the input has one', () => {
    const wire = { ...toCloudEvent(event()), id: '' };
    expect(() => fromCloudEvent(wire)).toThrow(/Invalid event "product.created": id:/);
  });

  it('exposes the schema for direct use', () => {
    expect(EventEnvelopeSchema.safeParse(toCloudEvent(event())).success).toBe(true);
    expect(EventEnvelopeSchema.safeParse({}).success).toBe(false);
  });
});
