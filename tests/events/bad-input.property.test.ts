import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  EventBus,
  EventSubscriber,
  UserEvents,
  memoryTransport,
  type EventTransport,
} from 'switchboard';
import { LIMITS, expectedOutcome, inputs, tally, type Input } from './bad-input-oracle.js';
import { eventually } from './bus-helpers.js';

/**
 * Publishes `raw` straight through the transport (as a foreign or broken
 * producer would), then checks the consumer: still running, every valid
 * event handled exactly once, every invalid one dead-lettered at its first
 * delivery, every event of another type acknowledged without a handler.
 */
export async function checkConsumer(
  transport: EventTransport,
  publishRaw: (payloads: readonly string[]) => Promise<void>,
  run: readonly Input[],
  // What the transport stores as the dead letter's payload (Redis: the bytes as UTF-8 text).
  stored: (payload: string) => string = (payload) => payload,
  outcomeOf: (payload: string) => ReturnType<typeof expectedOutcome> = expectedOutcome,
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
    const outcomes = raw.map((payload) => outcomeOf(payload));
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
        );
      }),
      { numRuns: 150, interruptAfterTimeLimit: 60_000 },
    );
  }, 90_000);
});
