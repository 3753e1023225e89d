import { describe, expect, it } from 'vitest';
import {
  EventSubscriber,
  ProductEvents,
  UserEvents,
  currentCorrelation,
  withCorrelation,
  type CorrelationContext,
  type EventBusEvents,
} from 'switchboard';
import { eventually, expectPending, gate, login, settle, subscriberSetup } from './bus-helpers.js';

const setup = subscriberSetup;

describe('EventSubscriber: correlation', () => {
  it("runs handlers in the event's correlation context, with the event as causation", async () => {
    const { bus, subscribe } = setup();
    const seen: { context: CorrelationContext | undefined; child: ReturnType<typeof login> }[] = [];
    await subscribe()
      .on(UserEvents.login, () => {
        seen.push({ context: currentCorrelation(), child: login(2) });
      })
      .start();
    const event = await withCorrelation({ correlationId: 'corr-1' }, () => bus.publish(login()));
    await eventually(() => {
      expect(seen).toHaveLength(1);
    });
    const [{ context, child }] = seen as [(typeof seen)[number]];
    expect(context).toMatchObject({ correlationId: 'corr-1', causationId: event.id });
    expect(context?.traceparent).toBe(event.traceparent);
    // An event the handler creates continues the conversation.
    expect(child.correlationid).toBe('corr-1');
    expect(child.causationid).toBe(event.id);
  });
});

describe('EventSubscriber: delivery', () => {
  it('gives two groups every event once each', async () => {
    const { bus, subscribe } = setup();
    const byGroup = { a: [] as string[], b: [] as string[] };
    for (const group of ['a', 'b'] as const) {
      await subscribe({ group })
        .on(UserEvents.login, (event) => {
          byGroup[group].push(event.id);
        })
        .start();
    }
    const ids = [];
    for (let i = 1; i <= 5; i++) ids.push((await bus.publish(login(i))).id);
    await eventually(() => {
      expect(byGroup.a).toHaveLength(5);
      expect(byGroup.b).toHaveLength(5);
    });
    await settle();
    expect(byGroup.a.sort()).toEqual([...ids].sort());
    expect(byGroup.b.sort()).toEqual([...ids].sort());
  });

  it('retries a failing handler, dead-letters it after maxDeliveries and keeps consuming', async () => {
    const { bus, subscribe } = setup();
    const attempts: number[] = [];
    const handled: number[] = [];
    const failures: boolean[] = [];
    const busDeadLetters: EventBusEvents['dead-lettered'][] = [];
    bus.on('dead-lettered', (letter) => busDeadLetters.push(letter));
    const subscriber = subscribe({ maxDeliveries: 3 });
    subscriber.events.on('handler-failed', ({ final }) => failures.push(final));
    await subscriber
      .on(UserEvents.login, (event, { deliveryCount }) => {
        if (event.data.userId === 1) {
          attempts.push(deliveryCount);
          throw new Error('always fails');
        }
        handled.push(event.data.userId);
      })
      .start();
    const poison = await bus.publish(login(1));
    await eventually(() => {
      expect(attempts).toEqual([1, 2, 3]);
    });
    await bus.publish(login(2));
    await eventually(() => {
      expect(handled).toEqual([2]);
    });
    const letters = await bus.deadLetters.list({ group: 'g' });
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ reason: 'max-deliveries', deliveryCount: 3 });
    expect(letters[0]?.error).toMatch(/always fails/);
    expect(failures).toEqual([false, false, true]);
    expect(busDeadLetters).toMatchObject([{ reason: 'max-deliveries', event: { id: poison.id } }]);
    expect(subscriber.health().lastError).toBe('always fails');
    expect(subscriber.health().running).toBe(true);
  });

  it('acks an event whose type has no handler, counting it, without dead-lettering', async () => {
    const { bus, subscribe } = setup();
    const subscriber = subscribe();
    const created: number[] = [];
    await subscriber
      .on(UserEvents.created, (event) => {
        created.push(event.data.userId);
      })
      .start();
    await bus.publish(login(5)); // same topic ('user'), no handler
    await bus.publish(
      UserEvents.created.create({ userId: 6, email: 'x@example.com', username: 'x' }),
    );
    await eventually(() => {
      expect(created).toEqual([6]);
      expect(subscriber.health()).toMatchObject({ unhandled: 1, pending: 0 });
    });
    expect(await bus.deadLetters.list({ group: 'g' })).toEqual([]);
  });

  it('hands events without a typed handler to onAny', async () => {
    const { bus, subscribe } = setup();
    const any: string[] = [];
    await subscribe()
      .on(UserEvents.created, () => undefined)
      .onAny(
        (event) => {
          any.push(event.type);
        },
        { topics: ['product'] },
      )
      .start();
    await bus.publish(login());
    await bus.publish(
      ProductEvents.created.create({ productId: 1, name: 'Pen', price: 1, createdBy: 1 }),
    );
    await eventually(() => {
      expect(any.sort()).toEqual(['product.created', 'user.login']);
    });
  });
});

describe('EventSubscriber: lifecycle', () => {
  it('stop({ drain: true }) waits for the handler in flight and acks it', async () => {
    const { bus, subscribe } = setup();
    const hold = gate();
    let started = false;
    let finished = false;
    const subscriber = subscribe();
    const lifecycle: string[] = [];
    subscriber.events.on('started', () => lifecycle.push('started'));
    subscriber.events.on('stopped', ({ drained }) => lifecycle.push(`stopped:${drained}`));
    await subscriber
      .on(UserEvents.login, async () => {
        started = true;
        await hold.promise;
        finished = true;
      })
      .start();
    await bus.publish(login());
    await eventually(() => {
      expect(started).toBe(true);
    });
    expect(subscriber.health()).toMatchObject({ inFlight: 1, pending: 1 });
    const stopping = subscriber.stop({ drain: true });
    await expectPending(stopping);
    hold.open();
    await stopping;
    expect(finished).toBe(true);
    expect(subscriber.health()).toMatchObject({ running: false, inFlight: 0, pending: 0 });
    expect(lifecycle).toEqual(['started', 'stopped:true']);
    expect(subscriber.stop()).toBe(stopping);
  });

  it('stop({ drain: false }) aborts the signal of the handler in flight', async () => {
    const { bus, subscribe } = setup();
    let aborted: boolean | undefined;
    const subscriber = subscribe();
    await subscriber
      .on(UserEvents.login, async (_event, { signal }) => {
        await new Promise((resolve) => {
          signal.addEventListener('abort', resolve, { once: true });
        });
        aborted = signal.aborted;
      })
      .start();
    await bus.publish(login());
    await eventually(() => {
      expect(subscriber.health().inFlight).toBe(1);
    });
    await subscriber.stop({ drain: false });
    await eventually(() => {
      expect(aborted).toBe(true);
    });
  });

  it('refuses handlers registered after start, and a start with nothing registered', async () => {
    const { subscribe } = setup();
    await expect(subscribe().start()).rejects.toThrow(/register handlers/);
    const subscriber = subscribe();
    await subscriber.on(UserEvents.login, () => undefined).start();
    expect(() => subscriber.on(UserEvents.created, () => undefined)).toThrow(/after start\(\)/);
    expect(() => subscriber.onAny(() => undefined)).toThrow(TypeError);
    expect(() =>
      subscribe()
        .on(UserEvents.login, () => undefined)
        .on(UserEvents.login, () => undefined),
    ).toThrow(/already registered/);
  });

  it('validates its options', () => {
    const { bus } = setup();
    expect(() => new EventSubscriber(bus, { group: '' })).toThrow(TypeError);
    expect(() => new EventSubscriber(bus, { group: 'g', concurrency: 0 })).toThrow(RangeError);
    expect(() => new EventSubscriber(bus, { group: 'g', maxDeliveries: 1.5 })).toThrow(RangeError);
    expect(() => new EventSubscriber(bus, { group: 'g', dedupe: { ttlMs: -1 } })).toThrow(/ttlMs/);
    // @ts-expect-error: not a mode
    expect(() => new EventSubscriber(bus, { group: 'g', mode: 'fanout' })).toThrow(/mode/);
  });
});
