import type { DeadLetter, TransportMessage } from '../../events/transport.js';
import {
  CLAIM_IDLE_MS,
  deadLettersOf,
  handle,
  payloads,
  sleep,
  spec,
  unique,
  waitFor,
  type ContractContext,
} from './helpers.js';

/** Retries, dead letters after `maxDeliveries` or a poison verdict, redrive, delete. */
export function failureScenarios({ api, open }: ContractContext): void {
  const { describe, it, expect } = api;

  describe('failures', () => {
    it('retries a failed message with a growing deliveryCount, without blocking later ones', async () => {
      const transport = await open();
      const topic = unique('topic');
      const log: string[] = [];
      await transport.subscribe(
        spec({ topics: [topic], maxDeliveries: 5, retryDelayMs: () => 60 }),
        (message) => {
          log.push(`${message.payload}#${message.deliveryCount}`);
          if (message.payload === 'flaky' && message.deliveryCount < 3) {
            return Promise.reject(new Error('not yet'));
          }
          return Promise.resolve();
        },
      );
      await transport.publish(topic, 'flaky');
      await transport.publish(topic, 'steady');
      await waitFor(() => log.includes('flaky#3'), 5_000, 'third delivery');
      expect(log.filter((entry) => entry.startsWith('flaky'))).toEqual([
        'flaky#1',
        'flaky#2',
        'flaky#3',
      ]);
      // The message behind the failing one ran during the first backoff.
      expect(log.indexOf('steady#1')).toBeLessThan(log.indexOf('flaky#2'));
      expect(await transport.deadLetters.list()).toEqual([]);
    });

    it('dead-letters a message after maxDeliveries and keeps processing the next ones', async () => {
      const transport = await open();
      const topic = unique('topic');
      const group = unique('group');
      const attempts: number[] = [];
      const handled: string[] = [];
      await transport.subscribe(spec({ topics: [topic], group, maxDeliveries: 3 }), (message) => {
        if (message.payload === 'bad') {
          attempts.push(message.deliveryCount);
          return Promise.reject(new Error('boom'));
        }
        handled.push(message.payload);
        return Promise.resolve();
      });
      const id = await transport.publish(topic, 'bad');
      await transport.publish(topic, 'good-1');
      await waitFor(() => attempts.length >= 3, 5_000, 'three attempts');
      await transport.publish(topic, 'good-2');
      await waitFor(() => handled.length >= 2, 5_000, 'next messages');
      await sleep(60);
      const [letter, ...rest] = await transport.deadLetters.list({ group });
      expect(rest).toEqual([]);
      expect(attempts).toEqual([1, 2, 3]);
      expect(handled).toEqual(['good-1', 'good-2']);
      expect(letter).toMatchObject({
        topic,
        group,
        messageId: id,
        payload: 'bad',
        reason: 'max-deliveries',
        deliveryCount: 3,
      });
      expect(letter?.error).toContain('boom');
      expect(typeof letter?.failedAt).toBe('number');
    });

    it('dead-letters a poison verdict at once, with its reason', async () => {
      const transport = await open();
      const topic = unique('topic');
      const group = unique('group');
      let calls = 0;
      await transport.subscribe(spec({ topics: [topic], group }), () => {
        calls += 1;
        return Promise.resolve({ poison: true, reason: 'malformed', error: new Error('bad json') });
      });
      await transport.publish(topic, '{not json');
      const letters = await deadLettersOf(transport, group, 1);
      await sleep(60);
      expect(calls).toBe(1);
      expect(await transport.deadLetters.list({ group })).toHaveLength(1);
      expect(letters[0]).toMatchObject({
        reason: 'malformed',
        deliveryCount: 1,
        payload: '{not json',
      });
      expect(letters[0]?.error).toContain('bad json');
    });

    it('settles handlers that finish at once, with no promise: acknowledged, or dead-lettered by their verdict', async () => {
      const transport = await open();
      const topic = unique('topic');
      const group = unique('group');
      const calls = new Map<string, number>();
      const subscription = await transport.subscribe(
        spec({ topics: [topic], group, concurrency: 4 }),
        (message) => {
          calls.set(message.payload, (calls.get(message.payload) ?? 0) + 1);
          if (message.payload !== 'poison') return undefined;
          return { poison: true, reason: 'malformed', error: new Error('bad at once') };
        },
      );
      const sent = [...payloads('m', 12), 'poison', ...payloads('n', 12)];
      await transport.publishMany(sent.map((payload) => ({ topic, payload })));
      await waitFor(() => calls.size === sent.length, 5_000, 'every message');
      const letters = await deadLettersOf(transport, group, 1);
      expect(letters[0]).toMatchObject({ reason: 'malformed', payload: 'poison' });
      expect(letters[0]?.error).toContain('bad at once');
      await waitFor(() => subscription.stats().pending === 0, 5_000, 'acknowledgements');
      // Past a retry delay and a claim: nothing comes again.
      await sleep(CLAIM_IDLE_MS + 100);
      expect([...calls.values()].every((count) => count === 1)).toBe(true);
      expect(await transport.deadLetters.list({ group })).toHaveLength(1);
    });

    it('redrives dead letters to the group that failed them, and deletes them', async () => {
      const transport = await open();
      const topic = unique('topic');
      const group = unique('group');
      const other: string[] = [];
      let healed = false;
      const redelivered: TransportMessage[] = [];
      await transport.subscribe(spec({ topics: [topic], group, maxDeliveries: 1 }), (message) => {
        if (!healed) return Promise.reject(new Error('down'));
        redelivered.push(message);
        return Promise.resolve();
      });
      await transport.subscribe(
        spec({ topics: [topic] }),
        handle((m) => other.push(m.payload)),
      );
      await transport.publishMany(['a', 'b', 'c'].map((payload) => ({ topic, payload })));
      const letters = await deadLettersOf(transport, group, 3);
      expect(letters.map((letter) => letter.payload).sort()).toEqual(['a', 'b', 'c']);
      const [first, second, third] = letters as [DeadLetter, DeadLetter, DeadLetter];
      expect(await transport.deadLetters.list({ group, limit: 2 })).toHaveLength(2);
      expect(await transport.deadLetters.delete(third.id)).toBe(true);
      expect(await transport.deadLetters.delete(third.id)).toBe(false);
      healed = true;
      expect(await transport.deadLetters.redrive(first.id)).toBe(1);
      await waitFor(() => redelivered.length >= 1, 5_000, 'redriven message');
      expect(await transport.deadLetters.redrive({ group })).toBe(1);
      await waitFor(() => redelivered.length >= 2, 5_000, 'second redriven message');
      await sleep(60);
      expect(redelivered.map((message) => message.payload)).toEqual([
        first.payload,
        second.payload,
      ]);
      expect(redelivered[0]?.deliveryCount).toBeGreaterThanOrEqual(1);
      expect(await transport.deadLetters.list({ group })).toEqual([]);
      // The other group handled each message once and never sees the redriven ones.
      expect(other.sort()).toEqual(['a', 'b', 'c']);
    });
  });
}
