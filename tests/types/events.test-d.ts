import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import {
  ProductEvents,
  SystemEvents,
  UserEvents,
  decodeEvent,
  defineEvent,
  type EventData,
  type EventDefinition,
  type EventEnvelope,
  type EventOf,
} from 'switchboard';

const OrderPlaced = defineEvent(
  'order.placed',
  z.object({ orderId: z.int(), total: z.number(), note: z.string().optional() }),
);

describe('event types', () => {
  it('infers the data type from the zod schema and the literal event type', () => {
    const event = OrderPlaced.create({ orderId: 1, total: 2 });
    expectTypeOf(event.type).toEqualTypeOf<'order.placed'>();
    expectTypeOf(event.data.orderId).toEqualTypeOf<number>();
    expectTypeOf(event.data.note).toEqualTypeOf<string | undefined>();
    expectTypeOf(event).toEqualTypeOf<EventOf<typeof OrderPlaced>>();
    expectTypeOf<EventData<typeof OrderPlaced>>().toEqualTypeOf<{
      orderId: number;
      total: number;
      note?: string | undefined;
    }>();
    expectTypeOf(OrderPlaced.parse({})).toEqualTypeOf(event);
  });

  it('makes a wrong payload a compile error', () => {
    // @ts-expect-error: total is missing
    OrderPlaced.create({ orderId: 1 });
    // @ts-expect-error: orderId is a number
    OrderPlaced.create({ orderId: '1', total: 2 });
    // @ts-expect-error: no such field
    OrderPlaced.create({ orderId: 1, total: 2, extra: true });
    // @ts-expect-error: price is a number
    ProductEvents.created.create({ productId: 1, name: 'Pen', price: '2', createdBy: 7 });
    // @ts-expect-error: not one of the statuses
    SystemEvents.healthCheck.create({ service: 'auth', status: 'ok' });
    // @ts-expect-error: meta has no such field
    OrderPlaced.create({ orderId: 1, total: 2 }, { correlation: 'x' });
  });

  it('takes the schema input for create, so defaults may be left out', () => {
    const Tagged = defineEvent('tag.added', z.object({ weight: z.number().default(1) }));
    expectTypeOf(Tagged.create({}).data.weight).toEqualTypeOf<number>();
  });

  it('narrows a decoded envelope with is()', () => {
    const envelope = decodeEvent('{}');
    expectTypeOf(envelope).toEqualTypeOf<EventEnvelope>();
    expectTypeOf(envelope.data).toBeUnknown();
    if (UserEvents.login.is(envelope)) {
      expectTypeOf(envelope.type).toEqualTypeOf<'user.login'>();
      expectTypeOf(envelope.data.email).toEqualTypeOf<string>();
      expectTypeOf(envelope.data.ip).toEqualTypeOf<string | undefined>();
    }
  });

  it('keeps user and catalogue definitions assignable to EventDefinition', () => {
    expectTypeOf(OrderPlaced).toExtend<EventDefinition>();
    expectTypeOf(ProductEvents.stockUpdated).toExtend<EventDefinition>();
    expectTypeOf(ProductEvents.stockUpdated.type).toEqualTypeOf<'product.stock_updated'>();
    const all: EventDefinition[] = [OrderPlaced, UserEvents.created, SystemEvents.error];
    expectTypeOf(all[0]?.version).toEqualTypeOf<string | undefined>();
  });

  it('types the subject option with the data', () => {
    const schema = z.object({ id: z.int() });
    defineEvent('a.b', schema, { subject: (data) => String(data.id) });
    const byName = { subject: (data: { name: string }) => data.name };
    // @ts-expect-error: the data has no `name`
    defineEvent('a.b', schema, byName);
  });
});
