import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import {
  ClosedError,
  EventBus,
  EventPublisher,
  EventSubscriber,
  ProductEvents,
  TimeoutError,
  UserEvents,
  type EventEnvelope,
} from 'switchboard';
import { createRecordingBus, type RecordingBus } from 'switchboard/testing';

let buses: RecordingBus[] = [];
function recordingBus(...args: Parameters<typeof createRecordingBus>): RecordingBus {
  const bus = createRecordingBus(...args);
  buses.push(bus);
  return bus;
}

afterEach(async () => {
  await Promise.all(buses.map((bus) => bus.close()));
  buses = [];
});

const pen = { productId: 1, name: 'Pen', price: 2, createdBy: 7 };

describe('createRecordingBus', () => {
  it('is an EventBus that EventPublisher and EventSubscriber use unchanged', async () => {
    const bus = recordingBus({ source: 'product-service' });
    expect(bus).toBeInstanceOf(EventBus);
    const handled: number[] = [];
    const subscriber = new EventSubscriber(bus, { group: 'notifications' }).on(
      ProductEvents.created,
      (event) => {
        handled.push(event.data.productId);
      },
    );
    await subscriber.start();
    const published = await new EventPublisher(bus).publishProductCreated(pen);
    const delivered = await bus.waitForEvent(ProductEvents.created);
    expect(delivered.id).toBe(published.id);
    await expect.poll(() => bus.delivered(ProductEvents.created).length).toBe(1);
    expect(handled).toEqual([1]);
    expect(bus.delivered()[0]?.id).toBe(published.id);
    await subscriber.stop();
  });

  it('records published events with the source stamped, typed by definition', async () => {
    const bus = recordingBus();
    const publisher = new EventPublisher(bus);
    await publisher.publishProductCreated(pen);
    await publisher.publishUserLogin({ userId: 7, email: 'ada@example.com' });
    const created = bus.published(ProductEvents.created);
    expectTypeOf(created[0]?.data.name).toEqualTypeOf<string | undefined>();
    expectTypeOf(bus.published()).toEqualTypeOf<EventEnvelope[]>();
    expect(created.map((event) => event.data)).toEqual([pen]);
    expect(bus.published().map((event) => [event.type, event.source])).toEqual([
      ['product.created', 'test'],
      ['user.login', 'test'],
    ]);
    expect(bus.published(UserEvents.created)).toEqual([]);
  });

  it('expectPublished returns the first match by data fields or predicate', async () => {
    const bus = recordingBus();
    const publisher = new EventPublisher(bus);
    await publisher.publishProductCreated(pen);
    await publisher.publishProductCreated({ ...pen, productId: 2, name: 'Ink' });
    const ink = bus.expectPublished(ProductEvents.created, { name: 'Ink' });
    expectTypeOf(ink.data.productId).toEqualTypeOf<number>();
    expect(ink.data.productId).toBe(2);
    expect(bus.expectPublished(ProductEvents.created, (e) => e.data.price === 2).data.name).toBe(
      'Pen',
    );
    expect(bus.expectPublished(ProductEvents.created).data.productId).toBe(1);
  });

  it('expectPublished throws an error listing what was published', async () => {
    const bus = recordingBus();
    expect(() => bus.expectPublished(UserEvents.login)).toThrow(/published:\n {2}\(nothing\)/);
    await new EventPublisher(bus).publishProductCreated(pen);
    expect(() => bus.expectPublished(ProductEvents.created, { productId: 9 })).toThrow(
      'Expected a published "product.created" event with data matching {"productId":9}; published:\n' +
        '  - product.created {"productId":1,"name":"Pen","price":2,"createdBy":7}',
    );
  });

  it('waitForEvent resolves with an event published later, or one already published', async () => {
    const bus = recordingBus();
    const publisher = new EventPublisher(bus);
    const second = bus.waitForEvent(ProductEvents.created, {
      where: (event) => event.data.productId === 2,
    });
    await publisher.publishProductCreated(pen);
    setTimeout(() => void publisher.publishProductCreated({ ...pen, productId: 2 }), 5);
    const event = await second;
    expectTypeOf(event.data.productId).toEqualTypeOf<number>();
    expect(event.data.productId).toBe(2);
    expect((await bus.waitForEvent(ProductEvents.created)).data.productId).toBe(1);
  });

  it('waitForEvent rejects with a TimeoutError listing what was seen', async () => {
    const bus = recordingBus();
    await new EventPublisher(bus).publishProductCreated(pen);
    const error: unknown = await bus
      .waitForEvent(UserEvents.created, { timeoutMs: 20 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).timeoutMs).toBe(20);
    expect((error as Error).message).toMatch(/"user\.created".*20 ms[\s\S]*product\.created/);
  });

  it('waitForEvent honours its signal and validates its options', async () => {
    const bus = recordingBus();
    const controller = new AbortController();
    const waiting = bus.waitForEvent(UserEvents.created, { signal: controller.signal });
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'ABORTED' });
    await expect(bus.waitForEvent(UserEvents.created, { timeoutMs: -1 })).rejects.toThrow(
      RangeError,
    );
  });

  it('reset forgets what was recorded', async () => {
    const bus = recordingBus();
    await new EventPublisher(bus).publishProductCreated(pen);
    bus.reset();
    expect(bus.published()).toEqual([]);
    expect(bus.delivered()).toEqual([]);
    await new EventPublisher(bus).publishProductCreated({ ...pen, productId: 3 });
    expect(bus.published(ProductEvents.created).map((e) => e.data.productId)).toEqual([3]);
  });

  it('close() rejects pending waits and leaves nothing running', async () => {
    const bus = recordingBus();
    const subscriber = new EventSubscriber(bus, { group: 'g' }).on(UserEvents.created, () => {});
    await subscriber.start();
    const waiting = bus.waitForEvent(UserEvents.created, { timeoutMs: 60_000 });
    await bus.close();
    await expect(waiting).rejects.toBeInstanceOf(ClosedError);
    expect(await bus.health()).toMatchObject({ closed: true, subscriptions: 0, connected: false });
    expect(subscriber.health().running).toBe(true); // the subscriber's own state; its subscription is gone
    await subscriber.stop();
    await expect(bus.waitForEvent(UserEvents.created)).rejects.toBeInstanceOf(ClosedError);
  });
});
