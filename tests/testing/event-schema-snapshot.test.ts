import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ProductEvents, SystemEvents, UserEvents, defineEvent } from 'switchboard';
import { EVENT_SCHEMA_SNAPSHOT_FORMAT, eventSchemaSnapshot } from 'switchboard/testing';

function keysAreSorted(value: unknown, at = 'snapshot'): string[] {
  if (Array.isArray(value)) return value.flatMap((item, i) => keysAreSorted(item, `${at}[${i}]`));
  if (typeof value !== 'object' || value === null) return [];
  const keys = Object.keys(value);
  const problems = keys.join() === [...keys].sort().join() ? [] : [at];
  return [
    ...problems,
    ...keys.flatMap((key) =>
      keysAreSorted((value as Record<string, unknown>)[key], `${at}.${key}`),
    ),
  ];
}

describe('eventSchemaSnapshot', () => {
  it('holds each type and version with its topic and the JSON Schema of its data', () => {
    const snapshot = eventSchemaSnapshot([ProductEvents.created]);
    expect(snapshot).toEqual({
      format: EVENT_SCHEMA_SNAPSHOT_FORMAT,
      events: {
        'product.created': {
          '1': {
            topic: 'product',
            dataSchema: {
              $schema: 'https://json-schema.org/draft/2020-12/schema',
              type: 'object',
              properties: {
                productId: {
                  type: 'integer',
                  exclusiveMinimum: 0,
                  maximum: Number.MAX_SAFE_INTEGER,
                },
                name: { type: 'string', minLength: 1 },
                price: { type: 'number', minimum: 0 },
                createdBy: {
                  type: 'integer',
                  exclusiveMinimum: 0,
                  maximum: Number.MAX_SAFE_INTEGER,
                },
                description: { type: 'string' },
                category: { type: 'string', minLength: 1 },
              },
              required: ['createdBy', 'name', 'price', 'productId'],
            },
          },
        },
      },
    });
  });

  it('is deterministic: the same text whatever the order, keys sorted, JSON all the way', () => {
    const a = eventSchemaSnapshot([UserEvents, ProductEvents, SystemEvents.error]);
    const b = eventSchemaSnapshot([SystemEvents.error, ProductEvents, UserEvents]);
    expect(JSON.stringify(a, null, 2)).toBe(JSON.stringify(b, null, 2));
    expect(keysAreSorted(a)).toEqual([]);
    expect(JSON.parse(JSON.stringify(a))).toEqual(a);
    expect(Object.keys(a.events)).toEqual([
      'product.created',
      'product.stock_updated',
      'product.updated',
      'system.error',
      'user.created',
      'user.login',
      'user.updated',
    ]);
  });

  it('takes catalogues and definitions, orders versions numerically, and tolerates an identical repeat', () => {
    const v1 = defineEvent('order.placed', z.object({ id: z.string() }));
    const v2 = defineEvent('order.placed', z.object({ id: z.string(), total: z.number() }), {
      version: 2,
    });
    const v10 = defineEvent('order.placed', z.object({ id: z.string() }), {
      version: 10,
      topic: 'orders',
    });
    const snapshot = eventSchemaSnapshot([{ v10, v2 }, v1, v1]);
    expect(Object.keys(snapshot.events['order.placed'] ?? {})).toEqual(['1', '2', '10']);
    expect(snapshot.events['order.placed']?.['10']?.topic).toBe('orders');
  });

  it('describes the input side of a schema: a field with a default is optional', () => {
    const Tagged = defineEvent(
      'tag.added',
      z.object({ tag: z.string(), weight: z.number().default(1) }),
    );
    const schema = eventSchemaSnapshot([Tagged]).events['tag.added']?.['1']?.dataSchema;
    expect(schema?.['required']).toEqual(['tag']);
  });

  it('uses a Standard JSON Schema when the schema is not zod', () => {
    const schema = {
      '~standard': {
        version: 1 as const,
        vendor: 'acme',
        validate: (value: unknown) => ({ value }),
        jsonSchema: { input: () => ({ type: 'object', properties: { b: {}, a: {} } }) },
      },
    };
    const Acme = defineEvent('acme.thing', schema);
    expect(eventSchemaSnapshot([Acme]).events['acme.thing']?.['1']?.dataSchema).toEqual({
      type: 'object',
      properties: { a: {}, b: {} },
    });
  });

  it('rejects what it cannot snapshot with a TypeError', () => {
    const opaque = defineEvent('acme.opaque', {
      '~standard': { version: 1, vendor: 'acme', validate: (value: unknown) => ({ value }) },
    });
    const clash = defineEvent('user.created', z.object({ other: z.string() }));
    const cases: [unknown, RegExp][] = [
      [[opaque], /no JSON Schema form/],
      [[UserEvents, clash], /"user\.created" version 1 is defined twice, differently/],
      [[{ notADefinition: 1 }], /expected an event definition or a catalogue/],
      ['nope', /expected an array/],
    ];
    for (const [input, message] of cases) {
      expect(() => eventSchemaSnapshot(input as never)).toThrow(TypeError);
      expect(() => eventSchemaSnapshot(input as never)).toThrow(message);
    }
  });
});
