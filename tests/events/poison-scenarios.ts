import { describe, expect, it } from 'vitest';
import { UserEvents, encodeEvent, type EventTransport } from 'switchboard';
import { eventually, login, recordingLogger, settle, subscriberSetup } from './bus-helpers.js';

/**
 * Poison messages and dedupe: what an EventSubscriber refuses or skips, on
 * any transport (memory here, Redis in tests/events/redis/).
 */
export function poisonScenarios(name: string, makeTransport: () => EventTransport): void {
  const setup = (
    options: Omit<NonNullable<Parameters<typeof subscriberSetup>[0]>, 'transport'> = {},
  ) => subscriberSetup({ ...options, transport: makeTransport });
  /** A started subscriber that records the user id of every login it handles. */
  const startLogins = async (subscribe: ReturnType<typeof setup>['subscribe']) => {
    const handled: number[] = [];
    const subscriber = subscribe();
    await subscriber
      .on(UserEvents.login, (event) => {
        handled.push(event.data.userId);
      })
      .start();
    return { subscriber, handled };
  };
  /** A valid login as its JSON object, to break one attribute at a time. */
  const wireLogin = (): Record<string, unknown> =>
    JSON.parse(encodeEvent({ ...login(9), source: 'raw' })) as Record<string, unknown>;

  describe(`EventSubscriber on ${name}: poison messages`, () => {
    it('dead-letters malformed, invalid and oversized messages with a reason, consumer unharmed', async () => {
      const { bus, transport, subscribe } = setup({ maxEventBytes: 4_096 });
      const subscriberLetters: string[] = [];
      const { subscriber, handled } = await startLogins(subscribe);
      subscriber.events.on('dead-lettered', ({ reason }) => subscriberLetters.push(reason));
      const valid = wireLogin();
      const raw = {
        badJson: '{"specversion": "1.0", ',
        notAnObject: '[1, 2, 3]',
        wrongSpecversion: JSON.stringify({ ...valid, specversion: '0.3' }),
        missingId: JSON.stringify({ ...valid, id: undefined }),
        wrongData: JSON.stringify({ ...valid, data: { userId: 'nine' } }),
        oversized: JSON.stringify({ ...valid, data: { userId: 9, pad: 'x'.repeat(5_000) } }),
        protoEnvelope: `{"__proto__": ${JSON.stringify(valid)}}`,
      };
      for (const payload of Object.values(raw)) await transport.publish('user', payload);
      await bus.publish(login(10));
      await eventually(async () => {
        expect(handled).toEqual([10]);
        expect(await bus.deadLetters.list({ group: 'g' })).toHaveLength(7);
      });
      const letters = await bus.deadLetters.list({ group: 'g' });
      const reasonOf = (payload: string): string | undefined =>
        letters.find((letter) => letter.payload === payload)?.reason;
      expect(reasonOf(raw.badJson)).toBe('malformed-json');
      expect(reasonOf(raw.notAnObject)).toBe('invalid-envelope');
      expect(reasonOf(raw.wrongSpecversion)).toBe('unsupported-specversion');
      expect(reasonOf(raw.missingId)).toBe('invalid-envelope');
      expect(reasonOf(raw.wrongData)).toBe('invalid-data');
      expect(reasonOf(raw.oversized)).toBe('too-large');
      expect(reasonOf(raw.protoEnvelope)).toBe('invalid-envelope');
      expect(letters.every((letter) => letter.deliveryCount === 1)).toBe(true);
      expect(subscriberLetters).toEqual(['invalid-data']);
      expect(({} as Record<string, unknown>)['specversion']).toBeUndefined();
      await eventually(() => {
        expect(subscriber.health()).toMatchObject({ running: true, pending: 0 });
      });
    });

    it('dead-letters deep nesting, missing attributes and mistyped ones once each, with a bounded, redacted preview', async () => {
      const { logger, lines } = recordingLogger();
      const { bus, transport, subscribe } = setup({ logger });
      const previews: string[] = [];
      bus.on('dead-lettered', ({ preview }) => previews.push(preview));
      const { subscriber, handled } = await startLogins(subscribe);
      const valid = wireLogin();
      const nested = (depth: number): string =>
        JSON.stringify({ ...valid, data: { userId: 9, email: 'a@b.c', deep: 0 } }).replace(
          '"deep":0',
          `"deep":${'['.repeat(depth)}${']'.repeat(depth)}`,
        );
      const expected = new Map<string, string>([
        // Past the default limit of 64, and deep enough to overflow any recursion.
        [nested(100), 'too-deep'],
        [nested(100_000), 'too-deep'],
        [JSON.stringify({ ...valid, type: 42 }), 'invalid-envelope'],
        [JSON.stringify({ ...valid, time: 'yesterday' }), 'invalid-envelope'],
        [JSON.stringify({ ...valid, datacontenttype: 'text/xml' }), 'invalid-envelope'],
        [
          '{"specversion":"1.0","password":"CANARY-password","authorization":"Bearer CANARY-token", ' +
            'x'.repeat(5_000),
          'malformed-json',
        ],
      ]);
      for (const attribute of [
        'id',
        'source',
        'type',
        'specversion',
        'time',
        'datacontenttype',
        'data',
        'correlationid',
        'dataversion',
      ]) {
        expected.set(JSON.stringify({ ...valid, [attribute]: undefined }), 'invalid-envelope');
      }
      for (const payload of expected.keys()) await transport.publish('user', payload);
      await bus.publish(login(10));
      await eventually(async () => {
        expect(handled).toEqual([10]);
        expect(await bus.deadLetters.list({ group: 'g' })).toHaveLength(expected.size);
      }, 5_000);
      const letters = await bus.deadLetters.list({ group: 'g' });
      for (const [payload, reason] of expected) {
        const letter = letters.find((candidate) => candidate.payload === payload);
        expect({ payload: payload.slice(0, 60), reason: letter?.reason }).toEqual({
          payload: payload.slice(0, 60),
          reason,
        });
      }
      // Never retried: what cannot decode now never will.
      expect(letters.map((letter) => letter.deliveryCount)).toEqual(letters.map(() => 1));
      expect(letters.every((letter) => letter.error.length <= 2_100)).toBe(true);
      const warned = lines.filter((line) => line.message === 'event dead-lettered: poison message');
      expect(warned).toHaveLength(expected.size);
      expect(previews).toHaveLength(expected.size);
      for (const preview of [
        ...previews,
        ...warned.map((line) => String(line.context['preview'])),
      ]) {
        expect(preview.length).toBeLessThanOrEqual(240);
        expect(preview).not.toMatch(/CANARY|\n/);
      }
      expect(previews).toContainEqual(expect.stringContaining('"password":"[redacted]"'));
      expect(JSON.stringify(lines)).not.toContain('CANARY');
      await eventually(() => {
        expect(subscriber.health()).toMatchObject({ running: true, pending: 0 });
      });
    });

    it('acknowledges a valid event of a type no handler knows: not retried, not a dead letter, counted', async () => {
      const { bus, transport, subscribe } = setup();
      const { subscriber, handled } = await startLogins(subscribe);
      // The topic is shared by user.* events: another subscriber may handle this type.
      const unknown = encodeEvent({ ...login(3), source: 'raw', type: 'user.deleted' });
      await transport.publish('user', unknown);
      await bus.publish(login(4));
      await eventually(() => {
        expect(handled).toEqual([4]);
        expect(subscriber.health()).toMatchObject({ unhandled: 1, pending: 0 });
      });
      await settle();
      expect(await bus.deadLetters.list({ group: 'g' })).toEqual([]);
      expect(subscriber.health().unhandled).toBe(1);
    });

    it('strips __proto__ inside data: the handler gets clean data and no prototype is polluted', async () => {
      const { transport, subscribe } = setup();
      const data: unknown[] = [];
      await subscribe()
        .on(UserEvents.login, (event) => {
          data.push(event.data);
        })
        .start();
      const envelope = encodeEvent({ ...login(4), source: 'raw' }).replace(
        '"data":{',
        '"data":{"__proto__":{"polluted":true},',
      );
      expect(envelope).toContain('__proto__');
      await transport.publish('user', envelope);
      await eventually(() => {
        expect(data).toHaveLength(1);
      });
      expect(Object.getPrototypeOf(data[0])).toBe(Object.prototype);
      expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
      expect(Object.keys(data[0] as object)).not.toContain('__proto__');
    });
  });

  describe(`EventSubscriber on ${name}: dedupe`, () => {
    it('skips an event id the group already handled', async () => {
      const { bus, subscribe } = setup();
      const handled: string[] = [];
      const subscriber = subscribe({ dedupe: { ttlMs: 60_000 } });
      await subscriber
        .on(UserEvents.login, (event) => {
          handled.push(event.id);
        })
        .start();
      const event = login();
      await bus.publish(event);
      await bus.publish(event);
      await bus.publish(login(2));
      await eventually(() => {
        expect(handled).toHaveLength(2);
        expect(subscriber.health().duplicates).toBe(1);
      });
      await settle();
      expect(handled.filter((id) => id === event.id)).toHaveLength(1);
    });

    it('releases the claim when the handler fails, so the retry runs it', async () => {
      const { bus, subscribe } = setup();
      const attempts: number[] = [];
      const subscriber = subscribe({ dedupe: { ttlMs: 60_000 } });
      await subscriber
        .on(UserEvents.login, (_event, { deliveryCount }) => {
          attempts.push(deliveryCount);
          if (deliveryCount === 1) throw new Error('first time fails');
        })
        .start();
      await bus.publish(login());
      await eventually(() => {
        expect(attempts).toEqual([1, 2]);
      });
      expect(subscriber.health().duplicates).toBe(0);
    });
  });
}
