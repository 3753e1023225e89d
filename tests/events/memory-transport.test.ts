import { describe, expect, it } from 'vitest';
import {
  isSwitchboardError,
  memoryTransport,
  type EventTransport,
  type Logger,
  type SubscriptionSpec,
  type TransportMessage,
} from 'switchboard';

const TOPIC = 'product';

function spec(overrides: Partial<SubscriptionSpec> = {}): SubscriptionSpec {
  return {
    topics: [TOPIC],
    mode: 'durable',
    group: 'g',
    consumer: 'c',
    concurrency: 1,
    maxDeliveries: 3,
    retryDelayMs: () => 5,
    claimIdleMs: 100,
    start: 'latest',
    ...overrides,
  };
}

async function waitFor(predicate: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function recorder(): {
  seen: TransportMessage[];
  handler: (message: TransportMessage) => Promise<void>;
} {
  const seen: TransportMessage[] = [];
  return {
    seen,
    handler: (message) => {
      seen.push(message);
      return Promise.resolve();
    },
  };
}

function spyLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  const ignore = (): void => undefined;
  return {
    warnings,
    debug: ignore,
    info: ignore,
    error: ignore,
    warn: (_context, message) => {
      warnings.push(message ?? '');
    },
  };
}

async function using<T>(
  transport: EventTransport,
  body: (transport: EventTransport) => Promise<T>,
): Promise<T> {
  try {
    return await body(transport);
  } finally {
    await transport.close();
  }
}

describe('memoryTransport', () => {
  it('numbers messages per topic "1", "2", … and keeps them for groups created later', () =>
    using(memoryTransport(), async (transport) => {
      expect(transport.kind).toBe('memory');
      expect(await transport.publish(TOPIC, 'a')).toBe('1');
      expect(
        await transport.publishMany([
          { topic: TOPIC, payload: 'b' },
          { topic: 'other', payload: 'x' },
        ]),
      ).toEqual(['2', '1']);
      const { seen, handler } = recorder();
      await transport.subscribe(spec({ start: 'earliest' }), handler);
      await waitFor(() => seen.length === 2);
      expect(seen.map((message) => message.payload)).toEqual(['a', 'b']);
    }));

  it('trims a topic to maxLenPerTopic, dropping only what every group acknowledged', () =>
    using(memoryTransport({ maxLenPerTopic: 5 }), async (transport) => {
      let release = (): void => undefined;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const slow: string[] = [];
      await transport.subscribe(spec({ group: 'slow' }), async (message) => {
        await gate;
        slow.push(message.payload);
      });
      const payloads = Array.from({ length: 12 }, (_, index) => `m${index}`);
      await transport.publishMany(payloads.map((payload) => ({ topic: TOPIC, payload })));
      release();
      // The lagging group loses nothing.
      await waitFor(() => slow.length === 12);
      expect(slow).toEqual(payloads);
      // Once it has acknowledged everything, the log holds only the newest five.
      await transport.publish(TOPIC, 'm12');
      await waitFor(() => slow.length === 13);
      const { seen, handler } = recorder();
      await transport.subscribe(spec({ group: 'late', start: 'earliest' }), handler);
      await waitFor(() => seen.length === 5);
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect(seen.map((message) => message.payload)).toEqual(['m8', 'm9', 'm10', 'm11', 'm12']);
    }));

  it('trims a topic without groups: a later earliest group misses the dropped messages', () =>
    using(memoryTransport({ maxLenPerTopic: 3 }), async (transport) => {
      await transport.publishMany(
        ['a', 'b', 'c', 'd', 'e'].map((payload) => ({ topic: TOPIC, payload })),
      );
      const { seen, handler } = recorder();
      await transport.subscribe(spec({ start: { afterId: '0' } }), handler);
      await waitFor(() => seen.length === 3);
      expect(seen.map((message) => [message.id, message.payload])).toEqual([
        ['3', 'c'],
        ['4', 'd'],
        ['5', 'e'],
      ]);
    }));

  it('queues 1,000 messages for a busy broadcast subscriber, then drops with a warning', () => {
    const logger = spyLogger();
    return using(memoryTransport({ logger }), async (transport) => {
      let release = (): void => undefined;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      let handled = 0;
      await transport.subscribe(spec({ mode: 'broadcast' }), async () => {
        await gate;
        handled += 1;
      });
      const batch = Array.from({ length: 1_010 }, (_, index) => ({
        topic: TOPIC,
        payload: `${index}`,
      }));
      await transport.publishMany(batch);
      expect(logger.warnings).toHaveLength(9);
      expect(logger.warnings[0]).toMatch(/dropped/);
      release();
      await waitFor(() => handled === 1_001);
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect(handled).toBe(1_001);
    });
  });

  it('treats a handler that throws synchronously as a failed delivery', () =>
    using(memoryTransport(), async (transport) => {
      const counts: number[] = [];
      await transport.subscribe(spec({ maxDeliveries: 2 }), (message) => {
        counts.push(message.deliveryCount);
        throw new Error('sync boom');
      });
      await transport.publish(TOPIC, 'x');
      await waitFor(() => counts.length === 2);
      await waitFor(() => false, 50).catch(() => undefined);
      const letters = await transport.deadLetters.list();
      expect(counts).toEqual([1, 2]);
      expect(letters).toMatchObject([{ reason: 'max-deliveries', error: 'Error: sync boom' }]);
    }));

  it('refuses to work once closed, with ClosedError', async () => {
    const transport = memoryTransport();
    const closing = transport.close();
    expect(transport.close()).toBe(closing);
    await closing;
    for (const attempt of [
      transport.publish(TOPIC, 'x'),
      transport.publishMany([{ topic: TOPIC, payload: 'x' }]),
      transport.subscribe(spec(), () => Promise.resolve()),
      transport.deadLetters.redrive({ group: 'g' }),
    ]) {
      const error: unknown = await attempt.catch((caught: unknown) => caught);
      expect(isSwitchboardError(error, 'CLOSED')).toBe(true);
    }
    expect(await transport.health()).toEqual({ connected: false, lastError: undefined });
  });

  it('publishes nothing from a batch with an invalid entry, or with an aborted signal', () =>
    using(memoryTransport(), async (transport) => {
      const bad = [
        { topic: TOPIC, payload: 'a' },
        { topic: '', payload: 'b' },
      ];
      await expect(transport.publishMany(bad)).rejects.toThrow(TypeError);
      const aborted = transport.publish(TOPIC, 'c', { signal: AbortSignal.abort() });
      expect(isSwitchboardError(await aborted.catch((error: unknown) => error), 'ABORTED')).toBe(
        true,
      );
      expect(await transport.publish(TOPIC, 'd')).toBe('1');
    }));

  it('validates options and specs eagerly', () =>
    using(memoryTransport(), async (transport) => {
      expect(() => memoryTransport({ maxLenPerTopic: 0 })).toThrow(RangeError);
      await expect(
        transport.subscribe(spec({ concurrency: 0 }), () => Promise.resolve()),
      ).rejects.toThrow(/concurrency/);
      await expect(
        transport.subscribe(spec({ start: { afterId: '1-0' } }), () => Promise.resolve()),
      ).rejects.toThrow(/start/);
    }));
});

describe('memoryTransport: lag', () => {
  it('reports how many messages the group has not read yet', async () => {
    const transport = memoryTransport();
    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const subscription = await transport.subscribe(spec({ concurrency: 1 }), () => held);
    await transport.publishMany(
      Array.from({ length: 20 }, (_, index) => ({ topic: TOPIC, payload: `${index}` })),
    );
    await waitFor(() => subscription.stats().inFlight === 1);
    expect(subscription.stats().lag).toBe(19);
    release();
    await waitFor(() => subscription.stats().lag === 0 && subscription.stats().inFlight === 0);
    await transport.close();
  });
});
