import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exitOf, runScript } from './process.js';

describe('npm run demo', () => {
  it('runs the scenario on free ports, in memory, and exits 0', async () => {
    const demo = runScript('examples/demo.ts', ['--port-base', '0']);
    const code = await exitOf(demo, 60_000);
    const output = demo.output();
    expect(code, output).toBe(0);
    const lines = [
      /^1\. Accounts/m,
      /POST +auth \/api\/v1\/auth\/register +→ 201 +user 2 \(ada@example\.com\)/,
      /PATCH auth \/api\/v1\/users\/2 +as admin +→ 200/,
      /POST +product \/products +as bob +→ 201 +created, enriched with its creator/,
      /"correlationId": "demo-create-product"/,
      /PATCH product \/products\/1\/stock +as bob +→ 403 +forbidden: the manage_stock permission is required/,
      /PATCH product \/products\/1\/stock +as ada +→ 200 +stock 10 → 7/,
      /demo-create-product +product\.created +bob created product 1 "Fountain pen"/,
      /demo-stock-ada +product\.stock_updated +ada set the stock of product 1: 10 → 7/,
      /✓ 8 notifications, each with the correlation id of the request that caused it/,
      /GET +product \/products\/1 +→ 200 +degraded read: creator null, enrichment unavailable/,
      /breaker auth@\S+ opened/,
      /PATCH product \/products\/1\/stock +→ 503 +dependency_unavailable: CIRCUIT_OPEN/,
      /GET +product \/ready +→ 503/,
      /breaker auth@\S+ closed: the probe succeeded/,
      /GET +product \/products\/1 +→ 200 +enriched again/,
      /✓ recovered/,
      /^Done in [\d.]+ s: every step answered as expected\.$/m,
    ];
    for (const line of lines) expect(output).toMatch(line);
  }, 70_000);

  it('keeps the services running with --keep until SIGINT, then stops them and exits 0', async () => {
    const demo = runScript('examples/demo.ts', ['--port-base', '0', '--keep']);
    await demo.waitFor(/Ctrl-C stops them/, 60_000);
    const [, url] = await demo.waitFor(/curl -s (http:\/\/127\.0\.0\.1:\d+)\/ready/);
    const ready = await fetch(`${url}/ready`);
    expect(ready.status).toBe(200);
    demo.process.kill('SIGINT');
    expect(await exitOf(demo, 15_000)).toBe(0);
  }, 90_000);

  it('refuses an unknown argument with its usage', async () => {
    const demo = runScript('examples/demo.ts', ['--nope']);
    expect(await exitOf(demo, 30_000)).toBe(2);
    expect(demo.output()).toMatch(/usage: npm run demo/);
  }, 40_000);

  it('--redis without REDIS_URL and without redis-server exits 2, saying how to get Redis', async () => {
    // An empty PATH: no redis-server to find (node itself is run by its full path).
    const empty = await mkdtemp(join(tmpdir(), 'switchboard-no-redis-'));
    try {
      const demo = runScript('examples/demo.ts', ['--redis', '--port-base', '0'], { PATH: empty });
      expect(await exitOf(demo, 30_000)).toBe(2);
      const output = demo.output();
      expect(output).toMatch(/`redis-server` is not on PATH/);
      expect(output).toMatch(/apt-get install -y redis-server/);
      expect(output).toMatch(/REDIS_URL=redis:\/\/127\.0\.0\.1:6379 npm run demo -- --redis/);
      expect(output).not.toMatch(/switchboard demo:/);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  }, 40_000);
});
