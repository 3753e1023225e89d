import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { exitOf, runScript } from '../examples/process.js';
import { alive, deleteKeys } from './stack.js';

const redisUrl = inject('redisUrl');
const prefix = `e2e-demo-${randomUUID()}`;

afterAll(async () => {
  const redis = new Redis(redisUrl);
  redis.on('error', () => undefined);
  try {
    await deleteKeys(redis, prefix);
  } finally {
    redis.disconnect();
  }
});

describe('npm run demo -- --redis', () => {
  it('runs the services as processes over Redis Streams; the killed notifications service catches up; exits 0', async () => {
    const demo = runScript('examples/demo.ts', ['--redis', '--port-base', '0'], {
      REDIS_URL: redisUrl,
      SWITCHBOARD_PREFIX: prefix,
    });
    const code = await exitOf(demo, 150_000);
    const output = demo.output();
    expect(code, output).toBe(0);
    const lines = [
      /three services as separate processes, events over Redis Streams/,
      new RegExp(`redis +${redisUrl.replaceAll('.', '\\.')} .*key prefix ${prefix}`),
      /✓ 8 notifications, each with the correlation id of the request that caused it/,
      /^5\. The notifications service crashes/m,
      /notifications killed \(SIGKILL, pid \d+\); every event it had received was acknowledged/,
      /PUT +product \/products\/1 +as bob +→ 200/,
      /POST +auth \/api\/v1\/auth\/register +→ 201 +user 4 \(cy@example\.com\)/,
      /4 events published while nobody in its group was running/,
      /notifications restarted \(pid \d+\) as consumer notifications-1 of group notifications/,
      /↻ demo-offline-update +product\.updated +bob updated product 1: price, description/,
      /↻ demo-offline-stock +product\.stock_updated +ada set the stock of product 1: 7 → 12 \(delivery\)/,
      /↻ demo-offline-register +user\.created +welcome cy \(cy@example\.com\)/,
      /↻ demo-offline-login +user\.login +cy logged in/,
      /✓ caught up on 4 of 4 events within [\d.]+ ms of listening, with their correlation ids; none lost, none twice/,
      /auth killed \(SIGKILL, pid \d+\)/,
      /PATCH product \/products\/1\/stock +→ 503 +dependency_unavailable: CIRCUIT_OPEN/,
      /auth restarted \(pid \d+\) on \S+: users and signing key read back from its AUTH_STATE_FILE/,
      /breaker auth@\S+ closed: the probe succeeded/,
      /PATCH product \/products\/1\/stock +as ada +→ 200 +stock 12 → 5/,
      /^Done in [\d.]+ s: every step answered as expected\.$/m,
    ];
    for (const line of lines) expect(output).toMatch(line);
    // Every service process it started (and restarted) is gone.
    const pids = [...output.matchAll(/pid (\d+)/g)].map((match) => Number(match[1]));
    expect(pids.length).toBeGreaterThanOrEqual(5);
    expect(pids.filter((pid) => alive(pid))).toEqual([]);
  }, 160_000);
});
