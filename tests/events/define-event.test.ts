import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  EventValidationError,
  currentCorrelation,
  defineEvent,
  isSwitchboardError,
  parseTraceparent,
  toCloudEvent,
  withCorrelation,
  type StandardSchemaV1,
} from 'switchboard';

const OrderPlaced = defineEvent(
  'order.placed',
  z.object({
    orderId: z.int().positive(),
    total: z.number().nonnegative(),
    note: z.string().optional(),
  }),
);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const TRACE = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

function validationError(fn: () => unknown): EventValidationError {
  try {
    fn();
  } catch (error) {
    if (isSwitchboardError(error, 'EVENT_VALIDATION')) return error;
    throw error;
  }
  throw new Error('expected an EventValidationError');
}

describe('defineEvent', () => {
  it('defaults the version to "1" and the topic to the type up to its first dot', () => {
    expect(OrderPlaced).toMatchObject({ type: 'order.placed', topic: 'order', version: '1' });
    expect(defineEvent('audit.user.deleted', z.object({})).topic).toBe('audit');
    expect(defineEvent('heartbeat', z.object({})).topic).toBe('heartbeat');
    const custom = defineEvent('order.placed', z.object({}), { version: 2, topic: 'orders-v2' });
    expect(custom).toMatchObject({ version: '2', topic: 'orders-v2' });
    expect(defineEvent('x.y', z.object({}), { version: '2024-05' }).version).toBe('2024-05');
  });

  it('keeps the schema it was given', () => {
    const schema = z.object({ a: z.string() });
    expect(defineEvent('a.b', schema).schema).toBe(schema);
  });

  it('creates a complete envelope with a UUID, the current time and a new trace', () => {
    const before = Date.now();
    const event = OrderPlaced.create({ orderId: 1, total: 9.5 });
    expect(event).toMatchObject({
      specversion: '1.0',
      type: 'order.placed',
      source: '',
      datacontenttype: 'application/json',
      dataversion: '1',
      data: { orderId: 1, total: 9.5 },
    });
    expect(event.id).toMatch(UUID);
    // Created outside any context, the event starts a flow: its id names it.
    expect(event.correlationid).toBe(event.id);
    expect(Date.parse(event.time)).toBeGreaterThanOrEqual(before - 1);
    expect(Date.parse(event.time)).toBeLessThanOrEqual(Date.now());
    expect(parseTraceparent(event.traceparent)).toBeDefined();
    expect(event).not.toHaveProperty('causationid');
    expect(event).not.toHaveProperty('subject');
    expect(OrderPlaced.create({ orderId: 1, total: 1 }).id).not.toBe(event.id);
  });

  it('takes correlation, causation and trace from the current correlation context', async () => {
    const event = await withCorrelation(
      { correlationId: 'req-1', causationId: 'cmd-7', traceparent: TRACE },
      async () => {
        await Promise.resolve();
        return OrderPlaced.create({ orderId: 2, total: 0 });
      },
    );
    expect(event.correlationid).toBe('req-1');
    expect(event.causationid).toBe('cmd-7');
    const trace = parseTraceparent(event.traceparent);
    expect(trace?.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(trace?.parentId).not.toBe('00f067aa0ba902b7');
    expect(currentCorrelation()).toBeUndefined();
  });

  it('lets meta override every context-derived attribute', () => {
    const event = withCorrelation({ correlationId: 'req-1', causationId: 'cmd-7' }, () =>
      OrderPlaced.create(
        { orderId: 3, total: 1 },
        {
          source: 'orders',
          subject: 'order-3',
          correlationId: 'other',
          causationId: 'evt-1',
          id: 'fixed-id',
          time: new Date('2024-05-01T10:00:00Z'),
        },
      ),
    );
    expect(event).toMatchObject({
      source: 'orders',
      subject: 'order-3',
      correlationid: 'other',
      causationid: 'evt-1',
      id: 'fixed-id',
      time: '2024-05-01T10:00:00.000Z',
    });
    expect(
      OrderPlaced.create({ orderId: 3, total: 1 }, { time: '2024-05-01T10:00:00+02:00' }).time,
    ).toBe('2024-05-01T10:00:00+02:00');
    // Outside any context, a given id names the flow too.
    expect(OrderPlaced.create({ orderId: 3, total: 1 }, { id: 'order-3-placed' })).toMatchObject({
      id: 'order-3-placed',
      correlationid: 'order-3-placed',
    });
  });

  it('rejects bad meta eagerly', () => {
    expect(() => OrderPlaced.create({ orderId: 1, total: 1 }, { time: 'yesterday' })).toThrow(
      /meta\.time/,
    );
    expect(() => OrderPlaced.create({ orderId: 1, total: 1 }, { time: new Date(NaN) })).toThrow(
      RangeError,
    );
    expect(() => OrderPlaced.create({ orderId: 1, total: 1 }, { id: '' })).toThrow(/meta\.id/);
  });

  it('derives the subject from the data when the definition says how', () => {
    const Shipped = defineEvent('order.shipped', z.object({ orderId: z.int() }), {
      subject: (data) => `order-${data.orderId}`,
    });
    expect(Shipped.create({ orderId: 5 }).subject).toBe('order-5');
    expect(Shipped.create({ orderId: 5 }, { subject: 'x' }).subject).toBe('x');
  });

  it('throws an EventValidationError listing every issue of a wrong payload', () => {
    const error = validationError(() =>
      // @ts-expect-error: a wrong payload is also a compile error
      OrderPlaced.create({ orderId: -1, total: 'free' }),
    );
    expect(error).toBeInstanceOf(EventValidationError);
    expect(error.code).toBe('EVENT_VALIDATION');
    expect(error.eventType).toBe('order.placed');
    expect(error.issues.map((issue) => issue.path)).toEqual([
      ['data', 'orderId'],
      ['data', 'total'],
    ]);
    expect(error.message).toMatch(
      /^Invalid event "order.placed": data\.orderId: .+; data\.total: /,
    );
    expect(error.isClientError).toBe(true);
  });

  it('uses the validated output, so schema transforms and defaults apply', () => {
    const Tagged = defineEvent(
      'tag.added',
      z.object({ tag: z.string().trim().toLowerCase(), weight: z.number().default(1) }),
    );
    expect(Tagged.create({ tag: '  NEW ' }).data).toEqual({ tag: 'new', weight: 1 });
  });

  it('parses a whole envelope, data included, and round-trips create', () => {
    const event = OrderPlaced.create({ orderId: 4, total: 3, note: 'gift' }, { source: 'orders' });
    const wire: unknown = JSON.parse(JSON.stringify(toCloudEvent(event)));
    expect(OrderPlaced.parse(wire)).toEqual(event);
  });

  it('refuses another type, another version, bad data or a bad envelope', () => {
    const wire = toCloudEvent(OrderPlaced.create({ orderId: 4, total: 3 }, { source: 'orders' }));
    expect(
      validationError(() => OrderPlaced.parse({ ...wire, type: 'order.cancelled' })).issues,
    ).toEqual([{ path: ['type'], message: 'Expected "order.placed"' }]);
    expect(validationError(() => OrderPlaced.parse({ ...wire, dataversion: '2' })).issues).toEqual([
      { path: ['dataversion'], message: 'Expected "1"' },
    ]);
    const bad = validationError(() => OrderPlaced.parse({ ...wire, data: { orderId: 4 } }));
    expect(bad.issues.map((issue) => issue.path)).toEqual([['data', 'total']]);
    const source = validationError(() => OrderPlaced.parse({ ...wire, source: '' }));
    expect(source.issues.map((issue) => issue.path)).toEqual([['source']]);
  });

  it('is() checks type and version only', () => {
    const V2 = defineEvent('order.placed', z.object({ orderId: z.int() }), { version: 2 });
    const event = OrderPlaced.create({ orderId: 1, total: 1 });
    expect(OrderPlaced.is(event)).toBe(true);
    expect(V2.is(event)).toBe(false);
    expect(defineEvent('order.cancelled', z.object({})).is(event)).toBe(false);
  });

  it('accepts any synchronous Standard Schema and refuses asynchronous validation', () => {
    const positive: StandardSchemaV1<number> = {
      '~standard': {
        version: 1,
        vendor: 'hand-made',
        validate: (value) =>
          typeof value === 'number' && value > 0
            ? { value }
            : { issues: [{ message: 'Expected a positive number', path: [{ key: 'n' }] }] },
      },
    };
    const Tick = defineEvent('clock.tick', positive);
    expect(Tick.create(3).data).toBe(3);
    expect(validationError(() => Tick.create(-1)).issues).toEqual([
      { path: ['data', 'n'], message: 'Expected a positive number' },
    ]);
    const Slow = defineEvent(
      'slow.thing',
      z.string().refine(async () => Promise.resolve(true)),
    );
    expect(() => Slow.create('x')).toThrow(/validated asynchronously/);
  });

  it('validates its arguments eagerly', () => {
    expect(() => defineEvent('', z.object({}))).toThrow(TypeError);
    expect(() => defineEvent('has space', z.object({}))).toThrow(/`type`/);
    // @ts-expect-error: not a schema
    expect(() => defineEvent('a.b', { parse: () => 1 })).toThrow(/dataSchema/);
    expect(() => defineEvent('a.b', z.object({}), { version: -1 })).toThrow(RangeError);
    expect(() => defineEvent('a.b', z.object({}), { version: '' })).toThrow(/`version`/);
    expect(() => defineEvent('a.b', z.object({}), { topic: '' })).toThrow(/`topic`/);
  });
});
