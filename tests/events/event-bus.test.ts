import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  EventBus,
  EventSubscriber,
  ProductEvents,
  SystemEvents,
  UserEvents,
  isSwitchboardError,
  memoryTransport,
  type EventEnvelope,
} from 'switchboard';
import { eventually } from './bus-helpers.js';

const closers: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

function setup(options: { maxEventBytes?: number; maxEventDepth?: number } = {}) {
  const transport = memoryTransport();
  const bus = new EventBus({ source: 'bus-test', transport, ...options });
  closers.push(() => bus.close());
  return { bus, transport };
}

const health = () => SystemEvents.healthCheck.create({ service: 'auth', status: 'healthy' });

async function errorOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.unreachable('expected a rejection'),
    (error: unknown) => error,
  );
}

describe('EventBus.publish', () => {
  it('stamps its source on events created without one, and keeps an explicit source', async () => {
    const { bus } = setup();
    const created = health();
    expect(created.source).toBe('');
    expect((await bus.publish(created)).source).toBe('bus-test');
    const explicit = SystemEvents.healthCheck.create(
      { service: 'auth', status: 'healthy' },
      { source: 'elsewhere' },
    );
    expect((await bus.publish(explicit)).source).toBe('elsewhere');
    expect(created.source).toBe(''); // the caller's envelope is not mutated
  });

  it("publishes on the type's domain by default, or on the given topic", async () => {
    const { bus, transport } = setup();
    const publish = vi.spyOn(transport, 'publish');
    await bus.publish(health());
    await bus.publish(health(), { topic: 'ops' });
    expect(publish.mock.calls.map(([topic]) => topic)).toEqual(['system', 'ops']);
    const payload = JSON.parse(publish.mock.calls[0]?.[1] ?? '{}') as Record<string, unknown>;
    expect(payload).toMatchObject({
      specversion: '1.0',
      type: 'system.health_check',
      source: 'bus-test',
    });
  });

  it('emits published with the event, topic and message id', async () => {
    const { bus } = setup();
    const seen = vi.fn();
    bus.on('published', seen);
    const event = await bus.publish(health());
    expect(seen).toHaveBeenCalledTimes(1);
    expect(seen.mock.calls[0]?.[0]).toMatchObject({ event, topic: 'system' });
    expect(seen.mock.calls[0]?.[0]).toHaveProperty('messageId', expect.stringMatching(/./));
  });

  it('refuses an invalid envelope with an EventValidationError, before the transport', async () => {
    const { bus, transport } = setup();
    const publish = vi.spyOn(transport, 'publish');
    const invalid = { ...health(), id: '', time: 'yesterday' } as EventEnvelope;
    const error = await errorOf(bus.publish(invalid));
    expect(isSwitchboardError(error, 'EVENT_VALIDATION')).toBe(true);
    expect(String(error)).toMatch(/id/);
    expect(publish).not.toHaveBeenCalled();
  });

  it('refuses an event whose encoding exceeds maxEventBytes with an EventValidationError', async () => {
    const { bus, transport } = setup({ maxEventBytes: 2_048 });
    const publish = vi.spyOn(transport, 'publish');
    const big = SystemEvents.error.create({ service: 'auth', message: 'x'.repeat(3_000) });
    const error = await errorOf(bus.publish(big));
    expect(isSwitchboardError(error, 'EVENT_VALIDATION')).toBe(true);
    expect(String(error)).toMatch(/maxEventBytes \(2048\)/);
    expect(publish).not.toHaveBeenCalled();
    // Just under the limit passes.
    await bus.publish(SystemEvents.error.create({ service: 'auth', message: 'x'.repeat(1_000) }));
  });

  it('refuses an event nested deeper than maxEventDepth, as its subscribers would', async () => {
    const { bus, transport } = setup({ maxEventDepth: 8 });
    const publish = vi.spyOn(transport, 'publish');
    const nest = (depth: number): unknown => {
      let value: unknown = 1;
      for (let i = 0; i < depth; i++) value = [value];
      return value;
    };
    // The envelope is level 1 and data's object level 2: 6 arrays more reach 8.
    const at = (depth: number) => ({
      ...health(),
      data: { service: 'a', status: 'ok', n: nest(depth) },
    });
    await bus.publish(at(6));
    const error = await errorOf(bus.publish(at(7)));
    expect(isSwitchboardError(error, 'EVENT_VALIDATION')).toBe(true);
    expect(String(error)).toMatch(/maxEventDepth \(8\)/);
    // Deep enough to overflow JSON.stringify: still a typed error, not a RangeError.
    const overflow = await errorOf(setup().bus.publish(at(100_000)));
    expect(isSwitchboardError(overflow, 'EVENT_VALIDATION')).toBe(true);
    expect(publish).toHaveBeenCalledTimes(1);
    expect(() => new EventBus({ source: 's', transport, maxEventDepth: 0 })).toThrow(
      /maxEventDepth/,
    );
  });

  it('refuses data JSON cannot encode', async () => {
    const { bus } = setup();
    const event = { ...health(), data: { n: 1n } };
    const error = await errorOf(bus.publish(event));
    expect(isSwitchboardError(error, 'EVENT_VALIDATION')).toBe(true);
  });

  it('publishes what it validated: the attributes, never what the toJSON of an envelope object says', async () => {
    const { bus, transport } = setup();
    const publish = vi.spyOn(transport, 'publish');
    class Sneaky {
      toJSON(): unknown {
        return { type: 'something.else' };
      }
    }
    // With a source of its own, so the bus does not stamp (and copy) it.
    const event = Object.assign(new Sneaky(), health(), { source: 'svc' });
    await bus.publish(event);
    const payload = publish.mock.calls[0]?.[1] ?? '';
    expect(JSON.parse(payload)).toMatchObject({ type: event.type, id: event.id });
  });

  it('rejects an aborted signal without publishing', async () => {
    const { bus, transport } = setup();
    const publish = vi.spyOn(transport, 'publish');
    const error = await errorOf(bus.publish(health(), { signal: AbortSignal.abort() }));
    expect(isSwitchboardError(error, 'ABORTED')).toBe(true);
    expect(publish).not.toHaveBeenCalled();
  });
});

describe('EventBus.publishMany', () => {
  it('publishes in one transport round trip, in order, and subscribers get every event', async () => {
    const { bus, transport } = setup();
    const publishMany = vi.spyOn(transport, 'publishMany');
    const publish = vi.spyOn(transport, 'publish');
    const received: string[] = [];
    const subscriber = new EventSubscriber(bus, { group: 'many' });
    closers.push(() => subscriber.stop());
    subscriber.on(UserEvents.created, (event) => {
      received.push(event.id);
    });
    subscriber.on(ProductEvents.created, (event) => {
      received.push(event.id);
    });
    await subscriber.start();
    const events = [
      UserEvents.created.create({ userId: 1, email: 'a@example.com', username: 'a' }),
      ProductEvents.created.create({ productId: 1, name: 'Pen', price: 1, createdBy: 1 }),
      {
        event: UserEvents.created.create({ userId: 2, email: 'b@example.com', username: 'b' }),
        topic: 'user',
      },
    ];
    const published = await bus.publishMany(events);
    expect(publishMany).toHaveBeenCalledTimes(1);
    expect(publish).not.toHaveBeenCalled();
    expect(publishMany.mock.calls[0]?.[0].map(({ topic }) => topic)).toEqual([
      'user',
      'product',
      'user',
    ]);
    expect(published.every((event) => event.source === 'bus-test')).toBe(true);
    await eventually(() => {
      expect(received.sort()).toEqual(published.map((event) => event.id).sort());
    });
  });

  it('publishes nothing when one event is invalid', async () => {
    const { bus, transport } = setup();
    const publishMany = vi.spyOn(transport, 'publishMany');
    const bad = { ...health(), correlationid: '' };
    const error = await errorOf(bus.publishMany([health(), bad]));
    expect(isSwitchboardError(error, 'EVENT_VALIDATION')).toBe(true);
    expect(publishMany).not.toHaveBeenCalled();
  });
});

describe('EventBus lifecycle', () => {
  it('reports the transport health plus its own', async () => {
    const { bus } = setup();
    const subscriber = new EventSubscriber(bus, { group: 'h' });
    closers.push(() => subscriber.stop());
    await subscriber.on(UserEvents.login, () => undefined).start();
    expect(await bus.health()).toMatchObject({
      connected: true,
      transport: 'memory',
      source: 'bus-test',
      subscriptions: 1,
      closed: false,
    });
    await subscriber.stop();
    expect((await bus.health()).subscriptions).toBe(0);
  });

  it('close() is idempotent, stops its subscriptions and closes the transport it owns', async () => {
    const { bus, transport } = setup();
    const close = vi.spyOn(transport, 'close');
    const subscriber = new EventSubscriber(bus, { group: 'c' });
    await subscriber.on(UserEvents.login, () => undefined).start();
    const first = bus.close();
    expect(bus.close()).toBe(first);
    await first;
    expect(close).toHaveBeenCalledTimes(1);
    expect((await bus.health()).subscriptions).toBe(0);
    const error = await errorOf(bus.publish(health()));
    expect(isSwitchboardError(error, 'CLOSED')).toBe(true);
    await subscriber.stop();
  });

  it('leaves a transport it does not own open', async () => {
    const transport = memoryTransport();
    closers.push(() => transport.close());
    const close = vi.spyOn(transport, 'close');
    const bus = new EventBus({ source: 'shared', transport, ownsTransport: false });
    await bus.close();
    expect(close).not.toHaveBeenCalled();
    await transport.publish('system', 'still open');
  });

  it('validates its options', () => {
    const transport = memoryTransport();
    closers.push(() => transport.close());
    expect(() => new EventBus({ source: '', transport })).toThrow(TypeError);
    expect(() => new EventBus({ source: 'a b', transport })).toThrow(/whitespace/);
    expect(() => new EventBus({ source: 'a', transport, maxEventBytes: 0 })).toThrow(RangeError);
  });
});
