import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ProductEvents, UserEvents, defineEvent, type EventDefinition } from 'switchboard';
import {
  checkEventCompatibility,
  eventSchemaSnapshot,
  type EventCompatibilityReport,
  type EventSchemaChange,
  type EventSchemaSnapshot,
} from 'switchboard/testing';

const TYPE = 'product.created';

/** Compares two versions of the data schema of one event. */
function compare(before: z.ZodType, after: z.ZodType): EventCompatibilityReport {
  return checkEventCompatibility(
    eventSchemaSnapshot([defineEvent(TYPE, before)]),
    eventSchemaSnapshot([defineEvent(TYPE, after)]),
  );
}

const lines = (changes: readonly EventSchemaChange[]): string[] =>
  changes.map((change) => `${change.kind} ${change.path}: ${change.message}`);

const base = z.object({
  productId: z.int().positive(),
  name: z.string().min(1),
  price: z.number().nonnegative(),
  status: z.enum(['draft', 'live']),
  note: z.string().optional(),
});

describe('checkEventCompatibility: nothing changed', () => {
  it('finds no change between equal snapshots, even from separately built schemas', () => {
    const report = checkEventCompatibility(
      eventSchemaSnapshot([ProductEvents, UserEvents]),
      JSON.parse(
        JSON.stringify(eventSchemaSnapshot([UserEvents, ProductEvents])),
      ) as EventSchemaSnapshot,
    );
    expect(report).toEqual({ compatible: true, breaking: [], nonBreaking: [] });
    expect(compare(base, base.extend({}))).toEqual({
      compatible: true,
      breaking: [],
      nonBreaking: [],
    });
  });

  it('ignores descriptions and other annotations', () => {
    const report = compare(
      base,
      base.extend({ name: z.string().min(1).describe('the display name') }),
    );
    expect(report).toEqual({ compatible: true, breaking: [], nonBreaking: [] });
  });
});

describe('checkEventCompatibility: breaking changes', () => {
  it('an event type removed, and a version removed', () => {
    const v1 = defineEvent('order.placed', z.object({ id: z.string() }));
    const v2 = defineEvent('order.placed', z.object({ id: z.string() }), { version: 2 });
    const before = eventSchemaSnapshot([ProductEvents.created, v1, v2]);
    const report = checkEventCompatibility(before, eventSchemaSnapshot([v2]));
    expect(report.compatible).toBe(false);
    expect(report.breaking).toEqual([
      {
        kind: 'version-removed',
        event: 'order.placed',
        version: '1',
        path: 'order.placed@1',
        message: 'version removed',
      },
      {
        kind: 'event-removed',
        event: TYPE,
        version: undefined,
        path: TYPE,
        message: 'event type removed',
      },
    ]);
  });

  it('a field removed', () => {
    const report = compare(base, base.omit({ price: true }));
    expect(lines(report.breaking)).toEqual([
      'field-removed product.created@1 data.price: field removed: consumers reading it get nothing',
    ]);
    expect(report.compatible).toBe(false);
  });

  it('an optional field removed too', () => {
    expect(lines(compare(base, base.omit({ note: true })).breaking)).toEqual([
      'field-removed product.created@1 data.note: field removed: consumers reading it get nothing',
    ]);
  });

  it('a field retyped', () => {
    const report = compare(base, base.extend({ price: z.string() }));
    expect(lines(report.breaking)).toEqual([
      'type-changed product.created@1 data.price: type number → string: values accepted before are now rejected',
    ]);
  });

  it('a number narrowed to an integer', () => {
    const report = compare(base, base.extend({ price: z.int() }));
    expect(report.breaking.map((c) => c.kind)).toEqual(['type-changed']);
  });

  it('a new required field, and an optional field made required', () => {
    const report = compare(base, base.extend({ currency: z.string(), note: z.string() }));
    expect(lines(report.breaking)).toEqual([
      'field-added-required product.created@1 data.currency: new required field: events published without it are now rejected',
      'field-required product.created@1 data.note: now required: events without it are now rejected',
    ]);
  });

  it('an enum narrowed', () => {
    const report = compare(base, base.extend({ status: z.enum(['live']) }));
    expect(lines(report.breaking)).toEqual([
      'enum-narrowed product.created@1 data.status: "draft" no longer accepted',
    ]);
  });

  it('a free string narrowed to an enum or a literal', () => {
    const report = compare(base, base.extend({ name: z.literal('Pen') }));
    expect(lines(report.breaking)).toEqual([
      'enum-narrowed product.created@1 data.name: only "Pen" is now accepted',
    ]);
    expect(lines(report.nonBreaking)).toEqual([
      'constraint-widened product.created@1 data.name: minLength 1 removed',
    ]);
  });

  it('a constraint tightened', () => {
    const report = compare(
      base,
      base.extend({ name: z.string().min(3).max(10), productId: z.int().min(1) }),
    );
    expect(lines(report.breaking)).toEqual([
      'constraint-narrowed product.created@1 data.name: minLength 1 → 3',
      'constraint-narrowed product.created@1 data.name: maxLength 10 added',
    ]);
    // For integers, > 0 and ≥ 1 are the same bound.
    expect(lines(report.nonBreaking)).toEqual([]);
    const prices = compare(base, base.extend({ price: z.number().positive() }));
    expect(lines(prices.breaking)).toEqual([
      'constraint-narrowed product.created@1 data.price: minimum ≥ 0 → > 0',
    ]);
  });

  it('inside nested objects', () => {
    const withAddress = base.extend({ address: z.object({ city: z.string(), zip: z.string() }) });
    const report = compare(withAddress, base.extend({ address: z.object({ city: z.number() }) }));
    expect(lines(report.breaking)).toEqual([
      'type-changed product.created@1 data.address.city: type string → number: values accepted before are now rejected',
      'field-removed product.created@1 data.address.zip: field removed: consumers reading it get nothing',
    ]);
  });

  it('inside arrays of objects, and records', () => {
    const before = base.extend({
      items: z.array(z.object({ sku: z.string(), qty: z.int() })),
      tags: z.record(z.string(), z.string()),
    });
    const after = base.extend({
      items: z.array(z.object({ sku: z.string(), qty: z.string() })),
      tags: z.record(z.string(), z.number()),
    });
    expect(lines(compare(before, after).breaking)).toEqual([
      'type-changed product.created@1 data.items[].qty: type integer → string: values accepted before are now rejected',
      'type-changed product.created@1 data.tags.*: type string → number: values accepted before are now rejected',
    ]);
  });

  it('an array turned into something else', () => {
    const before = base.extend({ ids: z.array(z.int()) });
    expect(compare(before, base.extend({ ids: z.string() })).breaking.map((c) => c.path)).toEqual([
      'product.created@1 data.ids',
    ]);
  });

  it('a union member removed, and a variant of a discriminated union changed', () => {
    const before = base.extend({
      payment: z.discriminatedUnion('kind', [
        z.object({ kind: z.literal('card'), last4: z.string() }),
        z.object({ kind: z.literal('cash') }),
        z.object({ kind: z.literal('voucher'), code: z.string() }),
      ]),
    });
    const after = base.extend({
      payment: z.discriminatedUnion('kind', [
        z.object({ kind: z.literal('card'), last4: z.int() }),
        z.object({ kind: z.literal('voucher'), code: z.string() }),
      ]),
    });
    expect(lines(compare(before, after).breaking)).toEqual([
      'type-changed product.created@1 data.payment.last4: type string → integer: values accepted before are now rejected',
      'union-narrowed product.created@1 data.payment: no longer accepts object',
    ]);
  });

  it('null no longer accepted, as a type or a union member', () => {
    const before = base.extend({
      note: z.string().nullable(),
      size: z.object({ cm: z.number() }).nullable(),
    });
    const after = base.extend({ note: z.string(), size: z.object({ cm: z.number() }) });
    expect(lines(compare(before, after).breaking)).toEqual([
      'type-changed product.created@1 data.note: type null | string → string: values accepted before are now rejected',
      'union-narrowed product.created@1 data.size: no longer accepts null',
    ]);
  });

  it('an object closed to fields it does not list', () => {
    const report = compare(base, z.strictObject(base.shape));
    expect(lines(report.breaking)).toEqual([
      'object-closed product.created@1 data: fields it does not list are now rejected',
    ]);
  });

  it('a topic moved', () => {
    const report = checkEventCompatibility(
      eventSchemaSnapshot([defineEvent(TYPE, base)]),
      eventSchemaSnapshot([defineEvent(TYPE, base, { topic: 'catalogue' })]),
    );
    expect(lines(report.breaking)).toEqual([
      'topic-changed product.created@1: topic "product" → "catalogue": subscribers of the old topic no longer get it',
    ]);
  });

  it('inside a recursive schema, without looping', () => {
    type Category = { name: string; children: Category[] };
    const Category: z.ZodType<Category> = z.lazy(() =>
      z.object({ name: z.string(), children: z.array(Category) }),
    );
    type Renamed = { title: string; children: Renamed[] };
    const Renamed: z.ZodType<Renamed> = z.lazy(() =>
      z.object({ title: z.string(), children: z.array(Renamed) }),
    );
    const report = compare(base.extend({ category: Category }), base.extend({ category: Renamed }));
    expect(lines(report.breaking)).toEqual([
      'field-removed product.created@1 data.category.name: field removed: consumers reading it get nothing',
      'field-added-required product.created@1 data.category.title: new required field: events published without it are now rejected',
    ]);
  });

  it('keywords it cannot analyse count as breaking when they change', () => {
    // A Standard JSON Schema (not zod) that uses `not`, which the check does not analyse.
    const withNot = (excluded: string) =>
      defineEvent(TYPE, {
        '~standard': {
          version: 1 as const,
          vendor: 'acme',
          validate: (value: unknown) => ({ value }),
          jsonSchema: {
            input: () => ({
              type: 'object',
              properties: { code: { type: 'string', not: { const: excluded } } },
            }),
          },
        },
      });
    const report = checkEventCompatibility(
      eventSchemaSnapshot([withNot('a')]),
      eventSchemaSnapshot([withNot('b')]),
    );
    expect(lines(report.breaking)).toEqual([
      'schema-changed product.created@1 data.code: not changed; this check cannot tell whether that is safe, so review it',
    ]);
  });
});

describe('checkEventCompatibility: non-breaking changes', () => {
  it('a new optional field and a new event type are listed but compatible', () => {
    const Shipped = defineEvent('order.shipped', z.object({ id: z.string() }));
    const report = checkEventCompatibility(
      eventSchemaSnapshot([defineEvent(TYPE, base)]),
      eventSchemaSnapshot([
        defineEvent(TYPE, base.extend({ colour: z.string().optional() })),
        Shipped,
      ]),
    );
    expect(report.compatible).toBe(true);
    expect(report.breaking).toEqual([]);
    expect(report.nonBreaking).toEqual([
      {
        kind: 'event-added',
        event: 'order.shipped',
        version: undefined,
        path: 'order.shipped',
        message: 'new event type',
      },
      {
        kind: 'field-added',
        event: TYPE,
        version: '1',
        path: 'product.created@1 data.colour',
        message: 'new optional field',
      },
    ]);
  });

  it('a new version next to the old one', () => {
    const v2 = defineEvent(TYPE, base.extend({ currency: z.string() }), { version: 2 });
    const report = checkEventCompatibility(
      eventSchemaSnapshot([defineEvent(TYPE, base)]),
      eventSchemaSnapshot([defineEvent(TYPE, base), v2]),
    );
    expect(report.compatible).toBe(true);
    expect(lines(report.nonBreaking)).toEqual(['version-added product.created@2: new version']);
  });

  it('widenings: enum value added, nullable added, field made optional, constraint loosened', () => {
    const report = compare(
      base,
      base.extend({
        status: z.enum(['draft', 'live', 'archived']),
        note: z.string().nullable().optional(),
        price: z.number(),
        name: z.string().min(1).optional(),
      }),
    );
    expect(report.compatible).toBe(true);
    expect(lines(report.nonBreaking)).toEqual([
      'field-optional product.created@1 data.name: now optional: consumers must handle its absence',
      'type-widened product.created@1 data.note: type string → null | string',
      'constraint-widened product.created@1 data.price: minimum ≥ 0 removed',
      'enum-widened product.created@1 data.status: "archived" now accepted too',
    ]);
  });

  it('an object opened to fields it does not list', () => {
    const report = compare(z.strictObject(base.shape), base);
    expect(report.compatible).toBe(true);
    expect(report.nonBreaking.map((c) => c.kind)).toEqual(['object-opened']);
  });
});

describe('checkEventCompatibility: input', () => {
  it('rejects what is not a snapshot with a TypeError', () => {
    const good = eventSchemaSnapshot([ProductEvents]);
    const bad: [unknown, unknown, string][] = [
      [{}, good, 'previous'],
      [good, { format: 'other', events: {} }, 'current'],
      [good, { ...good, events: { x: { '1': { topic: 1 } } } }, 'current.events'],
    ];
    for (const [previous, current, option] of bad) {
      expect(() => checkEventCompatibility(previous as never, current as never)).toThrow(
        expect.objectContaining({ name: 'TypeError', option }),
      );
    }
  });

  it('orders its findings the same way every time', () => {
    const definitions = (schema: z.ZodType): EventDefinition[] => [
      defineEvent('b.event', schema),
      defineEvent('a.event', schema),
    ];
    const report = checkEventCompatibility(
      eventSchemaSnapshot(definitions(base)),
      eventSchemaSnapshot(definitions(base.omit({ price: true, name: true }))),
    );
    expect(report.breaking.map((c) => c.path)).toEqual([
      'a.event@1 data.name',
      'a.event@1 data.price',
      'b.event@1 data.name',
      'b.event@1 data.price',
    ]);
  });
});
