import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import {
  EventBus,
  EventPublisher,
  EventSubscriber,
  ProductEvents,
  SystemEvents,
  UserEvents,
  defineEvent,
  isSwitchboardError,
  memoryTransport,
  withCorrelation,
  type EventEnvelope,
} from 'switchboard';
import { eventually } from './bus-helpers.js';

const closers: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

function setup(): { bus: EventBus; publisher: EventPublisher } {
  const bus = new EventBus({ source: 'catalogue-test', transport: memoryTransport() });
  closers.push(() => bus.close());
  return { bus, publisher: new EventPublisher(bus) };
}

function subscriberOf(bus: EventBus, group: string): EventSubscriber {
  const subscriber = new EventSubscriber(bus, { group, retryBaseDelayMs: 1 });
  closers.push(() => subscriber.stop());
  return subscriber;
}

describe('EventPublisher → EventSubscriber', () => {
  it('round-trips every catalogue event with typed data', async () => {
    const { bus, publisher } = setup();
    const received = new Map<string, unknown>();
    const subscriber = subscriberOf(bus, 'all');
    const keep = (event: EventEnvelope): void => {
      received.set(event.type, event.data);
    };
    subscriber
      .on(UserEvents.created, (event) => {
        expectTypeOf(event.data.email).toBeString();
        keep(event);
      })
      .on(UserEvents.updated, keep)
      .on(UserEvents.login, keep)
      .on(ProductEvents.created, (event) => {
        expectTypeOf(event.data.price).toBeNumber();
        keep(event);
      })
      .on(ProductEvents.updated, keep)
      .on(ProductEvents.stockUpdated, (event) => {
        expectTypeOf(event.data.newQuantity).toBeNumber();
        keep(event);
      })
      .on(SystemEvents.healthCheck, keep)
      .on(SystemEvents.error, keep);
    await subscriber.start();

    const sent = {
      'user.created': { userId: 1, email: 'ada@example.com', username: 'ada' },
      'user.updated': { userId: 1, changes: { username: 'lovelace' } },
      'user.login': { userId: 1, email: 'ada@example.com', ip: '10.0.0.1' },
      'product.created': { productId: 2, name: 'Pen', price: 2.5, createdBy: 1 },
      'product.updated': { productId: 2, changes: { price: 3 }, updatedBy: 1 },
      'product.stock_updated': { productId: 2, oldQuantity: 10, newQuantity: 7, updatedBy: 1 },
      'system.health_check': { service: 'auth', status: 'healthy' as const },
      'system.error': { service: 'auth', message: 'disk full', code: 'ENOSPC' },
    };
    const published = [
      await publisher.publishUserCreated(sent['user.created']),
      await publisher.publishUserUpdated(sent['user.updated']),
      await publisher.publishUserLogin(sent['user.login']),
      await publisher.publishProductCreated(sent['product.created']),
      await publisher.publishProductUpdated(sent['product.updated']),
      await publisher.publishProductStockUpdated(sent['product.stock_updated']),
      await publisher.publishHealthCheck(sent['system.health_check']),
      await publisher.publishError(sent['system.error']),
    ];
    expect(published.map((event) => event.source)).toEqual(Array(8).fill('catalogue-test'));
    await eventually(() => {
      expect(Object.fromEntries(received)).toEqual(sent);
    });
  });

  it('carries the current correlation id and causation, or the given meta', async () => {
    const { publisher } = setup();
    const inContext = await withCorrelation(
      { correlationId: 'req-1', causationId: 'cause-1' },
      () => publisher.publishUserLogin({ userId: 3, email: 'a@example.com' }),
    );
    expect(inContext.correlationid).toBe('req-1');
    expect(inContext.causationid).toBe('cause-1');
    const explicit = await publisher.publishUserLogin(
      { userId: 3, email: 'a@example.com' },
      { correlationId: 'given', id: 'event-1', source: 'other-service' },
    );
    expect(explicit).toMatchObject({
      correlationid: 'given',
      id: 'event-1',
      source: 'other-service',
    });
  });

  it('rejects invalid data with an EventValidationError and publishes nothing', async () => {
    const { bus, publisher } = setup();
    let published = 0;
    bus.on('published', () => (published += 1));
    const bad = publisher.publishProductCreated({
      productId: 1,
      name: 'Pen',
      // @ts-expect-error: price must be a number
      price: 'x',
      createdBy: 1,
    });
    const error: unknown = await bad.catch((e: unknown) => e);
    expect(isSwitchboardError(error, 'EVENT_VALIDATION')).toBe(true);
    expect(published).toBe(0);
  });

  it("publishes a custom definition on the definition's own topic", async () => {
    const { bus, publisher } = setup();
    const OrderPlaced = defineEvent('order.placed', z.object({ orderId: z.int() }), {
      topic: 'orders-v2',
    });
    const topics: string[] = [];
    bus.on('published', ({ topic }) => topics.push(topic));
    const seen: number[] = [];
    const subscriber = subscriberOf(bus, 'orders');
    subscriber.on(OrderPlaced, (event) => {
      seen.push(event.data.orderId);
    });
    await subscriber.start();
    await publisher.publish(OrderPlaced, { orderId: 9 });
    expect(topics).toEqual(['orders-v2']);
    await eventually(() => {
      expect(seen).toEqual([9]);
    });
  });

  it('honours an aborted signal', async () => {
    const { publisher } = setup();
    const error: unknown = await publisher
      .publishHealthCheck({ service: 'a', status: 'healthy' }, { signal: AbortSignal.abort() })
      .catch((e: unknown) => e);
    expect(isSwitchboardError(error, 'ABORTED')).toBe(true);
  });
});
