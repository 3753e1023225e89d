import type { StartPosition, TransportMessage } from '../../events/transport.js';
import { handle, payloads, sleep, spec, unique, waitFor, type ContractContext } from './helpers.js';

/** Groups, splitting, the concurrency bound, start positions, `publishMany` order. */
export function durableScenarios({ api, open }: ContractContext): void {
  const { describe, it, expect } = api;

  describe('durable groups', () => {
    it('gives every message to each of two groups, once', async () => {
      const transport = await open();
      const topic = unique('topic');
      const seen = { a: [] as string[], b: [] as string[] };
      await transport.subscribe(
        spec({ topics: [topic], concurrency: 4 }),
        handle((message) => {
          seen.a.push(message.payload);
        }),
      );
      await transport.subscribe(
        spec({ topics: [topic], concurrency: 4 }),
        handle((message) => {
          seen.b.push(message.payload);
        }),
      );
      const sent = payloads('m', 20);
      for (const payload of sent) await transport.publish(topic, payload);
      await waitFor(() => seen.a.length >= 20 && seen.b.length >= 20, 5_000, 'both groups');
      await sleep(50);
      expect([...seen.a].sort()).toEqual([...sent].sort());
      expect([...seen.b].sort()).toEqual([...sent].sort());
    });

    it('splits a group’s messages between its consumers, without duplicates', async () => {
      const transport = await open();
      const topic = unique('topic');
      const group = unique('group');
      const byConsumer = new Map<string, string[]>([
        ['c1', []],
        ['c2', []],
      ]);
      for (const consumer of byConsumer.keys()) {
        await transport.subscribe(spec({ topics: [topic], group, consumer }), async (message) => {
          byConsumer.get(consumer)?.push(message.payload);
          await sleep(10);
        });
      }
      const sent = payloads('m', 20);
      await transport.publishMany(sent.map((payload) => ({ topic, payload })));
      const all = (): string[] => [...byConsumer.values()].flat();
      await waitFor(() => all().length >= 20, 5_000, 'all messages');
      await sleep(50);
      expect(all().sort()).toEqual([...sent].sort());
      for (const got of byConsumer.values()) expect(got.length).toBeGreaterThan(0);
    });

    it('never runs more than `concurrency` handlers at once', async () => {
      const transport = await open();
      const topic = unique('topic');
      let inFlight = 0;
      let maxInFlight = 0;
      let done = 0;
      let maxStats = 0;
      const subscription = await transport.subscribe(
        spec({ topics: [topic], concurrency: 3 }),
        async () => {
          inFlight += 1;
          maxInFlight = Math.max(maxInFlight, inFlight);
          maxStats = Math.max(maxStats, subscription.stats().inFlight);
          await sleep(15);
          inFlight -= 1;
          done += 1;
        },
      );
      await transport.publishMany(payloads('m', 15).map((payload) => ({ topic, payload })));
      await waitFor(() => done === 15, 5_000, '15 handled');
      expect(maxInFlight).toBe(3);
      expect(maxStats).toBeLessThanOrEqual(3);
    });

    it('delivers a publishMany batch in order, with the ids it returned', async () => {
      const transport = await open();
      const topic = unique('topic');
      const received: TransportMessage[] = [];
      await transport.subscribe(
        spec({ topics: [topic] }),
        handle((message) => {
          received.push(message);
        }),
      );
      const sent = payloads('m', 10);
      const ids = await transport.publishMany(sent.map((payload) => ({ topic, payload })));
      expect(new Set(ids).size).toBe(10);
      await waitFor(() => received.length >= 10, 5_000, '10 messages');
      expect(received.map((message) => message.payload)).toEqual(sent);
      expect(received.map((message) => message.id)).toEqual(ids);
      expect(received.every((message) => message.topic === topic)).toBe(true);
    });

    it('starts a new group at the latest message, the earliest, or after an id', async () => {
      const transport = await open();
      const topic = unique('topic');
      const [first] = await transport.publishMany([
        { topic, payload: 'before-1' },
        { topic, payload: 'before-2' },
      ]);
      const seen = { latest: [] as string[], earliest: [] as string[], after: [] as string[] };
      const starts: Record<'latest' | 'earliest' | 'after', StartPosition> = {
        latest: 'latest',
        earliest: 'earliest',
        after: { afterId: first ?? '' },
      };
      for (const key of ['latest', 'earliest', 'after'] as const) {
        await transport.subscribe(
          spec({ topics: [topic], start: starts[key] }),
          handle((message) => {
            seen[key].push(message.payload);
          }),
        );
      }
      await transport.publish(topic, 'after-1');
      await waitFor(() => seen.latest.length >= 1 && seen.earliest.length >= 3, 5_000, 'reads');
      await waitFor(() => seen.after.length >= 2, 5_000, 'after-id read');
      await sleep(50);
      expect(seen.latest).toEqual(['after-1']);
      expect(seen.earliest).toEqual(['before-1', 'before-2', 'after-1']);
      expect(seen.after).toEqual(['before-2', 'after-1']);
    });
  });
}
