import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, inject, it } from 'vitest';
import {
  ServiceClient,
  ServiceRegistry,
  isSwitchboardError,
  redisRegistryStore,
} from 'switchboard';

// Two processes, one Redis: a service in a child process registers itself; this
// process discovers it, calls it over real HTTP, and sees it leave.

const url = inject('redisUrl');
const fixture = fileURLToPath(new URL('./fixtures/service-child.ts', import.meta.url));
const children: ChildProcess[] = [];
const registries: ServiceRegistry[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  await Promise.all(registries.splice(0).map((registry) => registry.close()));
});

async function startChild(prefix: string, ttlMs: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, url, prefix, String(ttlMs)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  children.push(child);
  const [chunk] = (await once(child.stdout as NodeJS.ReadableStream, 'data')) as [Buffer];
  expect(chunk.toString()).toContain('ready');
  return child;
}

function discoveringRegistry(prefix: string, ttlMs: number): ServiceRegistry {
  const registry = new ServiceRegistry({
    health: false,
    store: redisRegistryStore(url, { prefix, ttlMs }),
  });
  registries.push(registry);
  return registry;
}

async function waitFor(predicate: () => boolean, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (!predicate()) {
    if (Date.now() - started > timeoutMs) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return Date.now() - started;
}

describe('discovery across processes through Redis', () => {
  it('finds a service in another process, calls it, and drops it within the TTL after a SIGKILL', async () => {
    const prefix = `test-${randomUUID()}`;
    const ttlMs = 600;
    const child = await startChild(prefix, ttlMs);
    const registry = discoveringRegistry(prefix, ttlMs);
    await waitFor(() => registry.instances('inventory').length === 1, 3_000);
    expect(registry.instances('inventory')[0]?.local).toBe(false);

    const client = new ServiceClient('inventory', { registry, retry: false });
    expect(await client.get('/stock/pen')).toEqual({ sku: 'pen', pid: child.pid });

    child.kill('SIGKILL');
    const gone = await waitFor(() => registry.instances('inventory').length === 0, ttlMs + 1_000);
    expect(gone).toBeLessThanOrEqual(ttlMs + 1_000);
    const error = await client.get('/stock/pen').catch((e: unknown) => e);
    expect(isSwitchboardError(error, 'SERVICE_NOT_FOUND')).toBe(true);
  });

  it('sees a clean shutdown at once, long before the TTL', async () => {
    const prefix = `test-${randomUUID()}`;
    const ttlMs = 5_000;
    const child = await startChild(prefix, ttlMs);
    const registry = discoveringRegistry(prefix, ttlMs);
    await waitFor(() => registry.instances('inventory').length === 1, 3_000);
    child.stdin?.end();
    const gone = await waitFor(() => registry.instances('inventory').length === 0, 2_000);
    expect(gone).toBeLessThan(1_000);
  });
});
