import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, inject, it } from 'vitest';
import {
  EventBus,
  EventSubscriber,
  UserEvents,
  encodeEvent,
  redisTransport,
  type EventTransport,
} from 'switchboard';
import { waitFor } from './helpers.js';

const url = inject('redisUrl');
const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

function setUp(): { bus: EventBus; raw: Redis; prefix: string; transport: EventTransport } {
  const prefix = `bytes-${randomUUID()}`;
  const transport = redisTransport({ url, prefix, blockMs: 200 });
  const bus = new EventBus({ source: 'bytes', transport });
  const raw = new Redis(url);
  closers.push(async () => {
    const keys = await raw.keys(`${prefix}:*`);
    if (keys.length > 0) await raw.del(...keys);
    raw.disconnect();
  });
  closers.push(() => bus.close());
  return { bus, raw, prefix, transport };
}

/** A valid login event whose `source` holds "é", with that character's second byte replaced. */
function corruptedLogin(userId: number): Buffer {
  const text = encodeEvent({
    ...UserEvents.login.create({ userId, email: 'ada@example.com' }),
    source: 'café',
  });
  const bytes = Buffer.from(text);
  bytes[bytes.indexOf(Buffer.from('é')) + 1] = 0x28; // 0xc3 0x28: not UTF-8
  return bytes;
}

describe('redisTransport: entries whose bytes are not UTF-8', () => {
  it('dead-letters them as malformed-json at once, with a preview, instead of delivering altered text', async () => {
    const { bus, raw, prefix } = setUp();
    const previews: string[] = [];
    bus.on('dead-lettered', ({ reason, preview }) => previews.push(`${reason} ${preview}`));
    const handled: number[] = [];
    const subscriber = new EventSubscriber(bus, { group: 'g', start: 'earliest' });
    subscriber.on(UserEvents.login, (event) => {
      handled.push(event.data.userId);
    });
    closers.push(() => subscriber.stop());
    await raw.xadd(`${prefix}:events:{user}`, '*', 'payload', corruptedLogin(1));
    await raw.xadd(`${prefix}:events:{user}`, '*', 'payload', Buffer.from([0xff, 0xfe, 0x00]));
    await bus.publish(UserEvents.login.create({ userId: 2, email: 'ada@example.com' }));
    await subscriber.start();
    await waitFor(() => handled.length === 1 && previews.length === 2, 5_000, 'the valid event');
    // Decoded leniently, the first would have been a valid event from "caf\ufffd(".
    expect(handled).toEqual([2]);
    const letters = await bus.deadLetters.list({ group: 'g' });
    expect(letters.map((letter) => [letter.reason, letter.deliveryCount])).toEqual([
      ['malformed-json', 1],
      ['malformed-json', 1],
    ]);
    expect(letters[0]?.payload).toContain('caf\ufffd(');
    expect(letters[0]?.error).toMatch(/not valid UTF-8/);
    expect(previews[1]).toBe('malformed-json \ufffd\ufffd\\u0000');
  });

  it('hands them to a broadcast subscriber as poison too: never to a handler', async () => {
    const { bus, raw, prefix } = setUp();
    const handled: number[] = [];
    const reasons: string[] = [];
    bus.on('dead-lettered', ({ reason }) => reasons.push(reason));
    const audit = new EventSubscriber(bus, { group: 'audit', mode: 'broadcast' });
    audit.on(UserEvents.login, (event) => {
      handled.push(event.data.userId);
    });
    closers.push(() => audit.stop());
    await audit.start();
    await raw.xadd(`${prefix}:events:{user}`, '*', 'payload', corruptedLogin(1));
    await bus.publish(UserEvents.login.create({ userId: 2, email: 'ada@example.com' }));
    await waitFor(() => handled.length === 1 && reasons.length === 1, 5_000, 'both entries');
    expect(handled).toEqual([2]);
    expect(reasons).toEqual(['malformed-json']);
  });

  it('refuses to publish a payload with a lone surrogate, which Redis would store as U+FFFD', async () => {
    const { transport } = setUp();
    await expect(transport.publish('user', '{"x":"\ud800"}')).rejects.toMatchObject({
      code: 'ERR_SWITCHBOARD_INVALID_OPTION',
      option: 'payload',
    });
  });
});
