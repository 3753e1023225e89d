import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  ProductEvents,
  SystemEvents,
  UserEvents,
  decodeEvent,
  encodeEvent,
  isSwitchboardError,
  type EventDefinition,
} from 'switchboard';

// One valid payload per catalogue event, plus one that each schema must refuse.
const cases: [EventDefinition, unknown, unknown, string][] = [
  [
    UserEvents.created,
    { userId: 7, email: 'ada@example.com', username: 'ada' },
    { userId: 7, email: 'not-an-email', username: 'ada' },
    '7',
  ],
  [UserEvents.updated, { userId: 7, changes: { username: 'ada2' } }, { userId: 7 }, '7'],
  [
    UserEvents.login,
    { userId: 7, email: 'ada@example.com', at: '2024-05-01T10:00:00Z', ip: '10.0.0.1' },
    { userId: 7, email: 'ada@example.com', ip: 'localhost' },
    '7',
  ],
  [
    ProductEvents.created,
    {
      productId: 1,
      name: 'Pen',
      price: 2.5,
      createdBy: 7,
      description: 'Blue',
      category: 'office',
    },
    { productId: 1, name: 'Pen', price: -1, createdBy: 7 },
    '1',
  ],
  [
    ProductEvents.updated,
    { productId: 1, changes: { price: 3 }, updatedBy: 7 },
    { productId: 1.5, changes: {}, updatedBy: 7 },
    '1',
  ],
  [
    ProductEvents.stockUpdated,
    { productId: 1, oldQuantity: 10, newQuantity: 7, updatedBy: 7, reason: 'sale' },
    { productId: 1, oldQuantity: 10, newQuantity: -3, updatedBy: 7 },
    '1',
  ],
  [
    SystemEvents.healthCheck,
    { service: 'product', status: 'degraded', details: { redis: 'slow' } },
    { service: 'product', status: 'fine' },
    'product',
  ],
  [
    SystemEvents.error,
    { service: 'product', message: 'boom', code: 'E1', stack: 'Error: boom' },
    { service: 'product' },
    'product',
  ],
];

describe('the built-in catalogue', () => {
  it('has the seed’s types, topics and versions', () => {
    expect(
      cases.map(([definition]) => [definition.type, definition.topic, definition.version]),
    ).toEqual([
      ['user.created', 'user', '1'],
      ['user.updated', 'user', '1'],
      ['user.login', 'user', '1'],
      ['product.created', 'product', '1'],
      ['product.updated', 'product', '1'],
      ['product.stock_updated', 'product', '1'],
      ['system.health_check', 'system', '1'],
      ['system.error', 'system', '1'],
    ]);
  });

  it.each(
    cases.map(
      ([definition, valid, , subject]) => [definition.type, definition, valid, subject] as const,
    ),
  )('%s round-trips create → encode → decode → parse', (_type, definition, valid, subject) => {
    const event = definition.create(valid, { source: 'test' });
    expect(event.subject).toBe(subject);
    const decoded = decodeEvent(encodeEvent(event));
    expect(definition.is(decoded)).toBe(true);
    expect(definition.parse(decoded)).toEqual(event);
    expect(event.data).toEqual(valid);
  });

  it.each(cases.map(([definition, , invalid]) => [definition.type, definition, invalid] as const))(
    '%s refuses a wrong payload',
    (type, definition, invalid) => {
      let caught: unknown;
      try {
        definition.create(invalid);
      } catch (error) {
        caught = error;
      }
      expect(isSwitchboardError(caught, 'EVENT_VALIDATION') && caught.eventType).toBe(type);
    },
  );

  it('keeps optional fields optional', () => {
    expect(() =>
      ProductEvents.created.create({ productId: 1, name: 'Pen', price: 0, createdBy: 7 }),
    ).not.toThrow();
    expect(() => UserEvents.login.create({ userId: 1, email: 'a@b.co' })).not.toThrow();
    expect(() => SystemEvents.error.create({ service: 'auth', message: 'down' })).not.toThrow();
    expect(() =>
      ProductEvents.stockUpdated.create({
        productId: 1,
        oldQuantity: 0,
        newQuantity: 0,
        updatedBy: 1,
      }),
    ).not.toThrow();
  });

  it('types each factory’s data', () => {
    const event = ProductEvents.stockUpdated.create({
      productId: 1,
      oldQuantity: 2,
      newQuantity: 1,
      updatedBy: 3,
    });
    expectTypeOf(event.type).toEqualTypeOf<'product.stock_updated'>();
    expectTypeOf(event.data.newQuantity).toEqualTypeOf<number>();
    expectTypeOf(
      SystemEvents.healthCheck.create({ service: 's', status: 'healthy' }).data.status,
    ).toEqualTypeOf<'healthy' | 'degraded' | 'unhealthy'>();
  });
});
