import type { TransportMessage } from '../../events/transport.js';
import {
  CLAIM_IDLE_MS,
  gate,
  handle,
  payloads,
  sleep,
  spec,
  unique,
  waitFor,
  type ContractContext,
} from './helpers.js';

/** Draining and non-draining stop, claims by another consumer, broadcast, close. */
export function lifecycleScenarios({ api, open }: ContractContext): void {
  const { describe, it, expect } = api;

  describe('stopping', () => {
    it('stop({ drain: true }) waits for handlers in flight and acknowledges them', async () => {
      const transport = await open();
      const topic = unique('topic');
      const group = unique('group');
      const release = gate();
      let started = 0;
      let finished = 0;
      const subscription = await transport.subscribe(
        spec({ topics: [topic], group, concurrency: 2 }),
        async () => {
          started += 1;
          await release.promise;
          finished += 1;
        },
      );
      await transport.publishMany(payloads('m', 2).map((payload) => ({ topic, payload })));
      await waitFor(() => started === 2, 5_000, 'two handlers started');
      let stopped = false;
      const stopping = subscription.stop({ drain: true }).then(() => {
        stopped = true;
      });
      await sleep(50);
      expect(stopped).toBe(false);
      release.open();
      await stopping;
      expect(finished).toBe(2);
      expect(subscription.stats()).toMatchObject({ inFlight: 0, pending: 0 });
      // Acknowledged: a later consumer of the same group gets nothing again.
      const again: string[] = [];
      await transport.subscribe(
        spec({ topics: [topic], group, start: 'earliest' }),
        handle((message) => again.push(message.payload)),
      );
      await sleep(CLAIM_IDLE_MS * 2);
      expect(again).toEqual([]);
    });

    it('gives a message abandoned by stop({ drain: false }) to another consumer after claimIdleMs', async () => {
      const transport = await open();
      const topic = unique('topic');
      const group = unique('group');
      const first: TransportMessage[] = [];
      let aborted = false;
      const slow = await transport.subscribe(
        spec({ topics: [topic], group }),
        (message, signal) => {
          first.push(message);
          return new Promise((_resolve, reject) => {
            signal.addEventListener('abort', () => {
              aborted = true;
              reject(new Error('aborted'));
            });
          });
        },
      );
      await transport.publish(topic, 'job');
      await waitFor(() => first.length === 1, 5_000, 'first delivery');
      const taken: TransportMessage[] = [];
      await transport.subscribe(
        spec({ topics: [topic], group }),
        handle((message) => taken.push(message)),
      );
      const stoppedAt = Date.now();
      await slow.stop({ drain: false });
      expect(aborted).toBe(true);
      await waitFor(() => taken.length >= 1, CLAIM_IDLE_MS * 20, 'claimed message');
      expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(CLAIM_IDLE_MS * 0.9);
      expect(taken).toHaveLength(1);
      expect(taken[0]).toMatchObject({ id: first[0]?.id, payload: 'job' });
      expect(taken[0]?.deliveryCount).toBeGreaterThanOrEqual(2);
    });

    it('close() stops every subscription and is idempotent', async () => {
      const transport = await open();
      const topic = unique('topic');
      const release = gate();
      let started = 0;
      let finished = 0;
      await transport.subscribe(spec({ topics: [topic] }), async () => {
        started += 1;
        await release.promise;
        finished += 1;
      });
      await transport.publish(topic, 'm');
      // Closed while the handler runs: close() lets it finish. (A fixed sleep
      // here raced a subscriber's first read on a loaded machine.)
      await waitFor(() => started === 1, 5_000, 'the handler started');
      const closing = transport.close();
      release.open();
      await Promise.all([closing, transport.close()]);
      expect(finished).toBe(1);
      expect((await transport.health()).connected).toBe(false);
      await expect(transport.publish(topic, 'late')).rejects.toThrow();
    });
  });

  describe('broadcast', () => {
    it('gives every live subscriber each message', async () => {
      const transport = await open();
      const topic = unique('topic');
      const group = unique('group');
      const seen = [[], [], []] as string[][];
      for (const list of seen) {
        await transport.subscribe(
          spec({ topics: [topic], mode: 'broadcast', group, concurrency: 2 }),
          handle((message) => list.push(message.payload)),
        );
      }
      const sent = payloads('m', 10);
      await transport.publishMany(sent.map((payload) => ({ topic, payload })));
      await waitFor(() => seen.every((list) => list.length >= 10), 5_000, 'every subscriber');
      await sleep(50);
      for (const list of seen) expect([...list].sort()).toEqual([...sent].sort());
    });

    it('gives a subscriber whose handler finishes at once every message, in order, once', async () => {
      const transport = await open();
      const topic = unique('topic');
      const seen: string[] = [];
      // One at a time: most messages wait behind the one running.
      const subscription = await transport.subscribe(
        spec({ topics: [topic], mode: 'broadcast', concurrency: 1 }),
        (message) => {
          seen.push(message.payload);
          return undefined;
        },
      );
      const sent = payloads('m', 200);
      await transport.publishMany(sent.map((payload) => ({ topic, payload })));
      await waitFor(() => seen.length >= sent.length, 5_000, 'every message');
      await sleep(50);
      expect(seen).toEqual(sent);
      expect(subscription.stats().inFlight).toBe(0);
    });

    it('does not retry a failed broadcast handler', async () => {
      const transport = await open();
      const topic = unique('topic');
      const calls: number[] = [];
      await transport.subscribe(spec({ topics: [topic], mode: 'broadcast' }), (message) => {
        calls.push(message.deliveryCount);
        return Promise.reject(new Error('nope'));
      });
      await transport.publish(topic, 'm');
      await waitFor(() => calls.length >= 1, 5_000, 'delivery');
      await sleep(100);
      expect(calls).toEqual([1]);
    });
  });
}
