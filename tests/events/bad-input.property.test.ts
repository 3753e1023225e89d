import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  EventBus,
  EventSubscriber,
  UserEvents,
  memoryTransport,
  redisTransport,
  type EventTransport,
} from 'switchboard';
import {
  LIMITS,
  byteInputs,
  expectedOutcome,
  inputs,
  tally,
  type Input,
} from './bad-input-oracle.js';
import { eventually } from './bus-helpers.js';

/**
 * Publishes `raw` straight through the transport (as a foreign or broken
 * producer would), then checks the consumer: still running, every valid
 * event handled exactly once, every invalid one dead-lettered at its first
 * delivery, every event of another type acknowledged without a handler.
 */
async function checkConsumer<P extends string | Uint8Array>(
  transport: EventTransport,
  publishRaw: (payloads: readonly P[]) => Promise<void>,
  run: readonly Input<P>[],
  // What the dead letter keeps as the payload (from bytes: the text, U+FFFD for what is not UTF-8).
  stored: (payload: P) => string,
): Promise<void> {
  const bus = new EventBus({ source: 'fuzz', transport, ...LIMITS });
  const subscriber = new EventSubscriber(bus, {
    group: 'fuzz',
    concurrency: 4,
    retryBaseDelayMs: 1,
    retryMaxDelayMs: 5,
  });
  const handled: string[] = [];
  subscriber.on(UserEvents.login, (event) => {
    // The handler only ever sees data its schema accepts.
    UserEvents.login.parse(event);
    handled.push(event.id);
  });
  try {
    await subscriber.start();
    const raw = run.map(({ payload }) => payload);
    await publishRaw(raw);
    const outcomes = raw.map((payload) => expectedOutcome(payload));
    // Where the generator knows the answer, the oracle must give it.
    run.forEach(({ known }, i) => {
      if (known === 'valid') expect(outcomes[i]?.kind).toBe('delivered');
      if (known === 'invalid') expect(outcomes[i]?.kind).toBe('dead');
    });
    const delivered = outcomes.flatMap((o) => (o.kind === 'delivered' ? [o.id] : []));
    const dead = raw.filter((_, i) => outcomes[i]?.kind === 'dead').map(stored);
    const ignored = outcomes.filter((o) => o.kind === 'ignored').length;
    await eventually(async () => {
      const letters = await bus.deadLetters.list({ group: 'fuzz', limit: 1_000 });
      expect(letters).toHaveLength(dead.length);
      expect(handled).toHaveLength(delivered.length);
      expect(subscriber.health()).toMatchObject({ unhandled: ignored, pending: 0 });
    }, 10_000);
    const letters = await bus.deadLetters.list({ group: 'fuzz', limit: 1_000 });
    expect(tally(handled)).toEqual(tally(delivered));
    expect(tally(letters.map((letter) => letter.payload))).toEqual(tally(dead));
    // Poison is never retried.
    expect(letters.filter((letter) => letter.deliveryCount !== 1)).toEqual([]);
    expect(subscriber.health().running).toBe(true);
  } finally {
    await subscriber.stop({ drain: false });
    await bus.close();
  }
}

describe('a consumer fed arbitrary input (property-based)', () => {
  it('memory transport: never crashes, delivers every valid event, dead-letters every invalid one', async () => {
    await fc.assert(
      fc.asyncProperty(inputs, async (run) => {
        const transport = memoryTransport();
        await checkConsumer(
          transport,
          async (list) => {
            for (const payload of list) await transport.publish('user', payload);
          },
          run,
          (payload) => payload,
        );
      }),
      { numRuns: 150, interruptAfterTimeLimit: 60_000 },
    );
  }, 90_000);
});

describe('a Redis consumer fed arbitrary stream entries (property-based)', () => {
  const url = inject('redisUrl');
  let raw: Redis;
  const prefixes: string[] = [];
  beforeAll(() => {
    raw = new Redis(url);
  });
  afterAll(async () => {
    for (const prefix of prefixes) {
      const keys = await raw.keys(`${prefix}:*`);
      if (keys.length > 0) await raw.del(...keys);
    }
    raw.disconnect();
  });

  it('never crashes, delivers every valid event, dead-letters every invalid one, bytes as they came', async () => {
    await fc.assert(
      fc.asyncProperty(byteInputs, async (run) => {
        const prefix = `fuzz-${randomUUID()}`;
        prefixes.push(prefix);
        const transport = redisTransport({ url, prefix, blockMs: 200 });
        await checkConsumer(
          transport,
          async (list) => {
            // The payload field exactly as a foreign producer could write it: any bytes.
            for (const bytes of list) {
              await raw.xadd(`${prefix}:events:{user}`, '*', 'payload', Buffer.from(bytes));
            }
          },
          run,
          (bytes) => Buffer.from(bytes).toString('utf8'),
        );
      }),
      { numRuns: 25, interruptAfterTimeLimit: 60_000 },
    );
  }, 90_000);
});
