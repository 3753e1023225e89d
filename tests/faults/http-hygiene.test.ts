import { getEventListeners } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { z } from 'zod';
import { ServiceClient, ServiceRegistry, SwitchboardError } from 'switchboard';
import { closeServer } from '../support/close-server.js';
import { activeResources, expectResourcesBack } from '../support/guard.js';

// 10,000 calls through the whole client — successes, 503s that are retried,
// attempts that time out, calls aborted by their caller — then close(): every
// call settles with a result or a typed error, and no timer, socket or abort
// listener is left behind.

const closers: (() => unknown)[] = [];

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

const CALLS = 10_000;
const IN_FLIGHT = 50;
const User = z.object({ id: z.number() });

async function startServer(): Promise<{ server: Server; origin: string }> {
  const server = createServer((request, response) => {
    const send = (status: number): void => {
      response.writeHead(status, { 'content-type': 'application/json' }).end('{"id":1}');
    };
    if (request.url === '/fail') send(503);
    else if (request.url === '/slow') {
      setTimeout(() => {
        send(200);
      }, 200).unref();
    } else send(200);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, origin: `http://127.0.0.1:${port}` };
}

it('10,000 calls with failures, timeouts and aborts settle, and close() leaves nothing behind', async () => {
  const { server, origin } = await startServer();
  closers.push(() => closeServer(server));
  const baseline = activeResources();
  // A breaker that trips only on a run of failures and soon half-opens, so
  // every path (closed, open, half-open probes) carries traffic.
  const registry = ServiceRegistry.fromConfig(
    { users: origin },
    { health: false, breaker: { failureThreshold: 20, resetTimeoutMs: 50 } },
  );
  const client = new ServiceClient('users', {
    registry,
    retry: { retries: 2, baseDelayMs: 1, maxDelayMs: 5 },
    budget: false,
  });
  // One long-lived signal shared by every call, as a request-scoped one would
  // be: each call must take its abort listener off again.
  const shared = new AbortController();
  const outcomes = new Map<string, number>();
  const count = (what: string): void => {
    outcomes.set(what, (outcomes.get(what) ?? 0) + 1);
  };
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < CALLS) {
      const index = next++;
      const kind = index % 10;
      const call =
        kind === 0
          ? client.get('/fail', { schema: User, signal: shared.signal })
          : kind === 1
            ? client.get('/slow', { schema: User, timeoutMs: 20, signal: shared.signal })
            : kind === 2
              ? client.get('/users/1', { schema: User, signal: AbortSignal.timeout(1) })
              : client.get('/users/1', { schema: User, signal: shared.signal });
      try {
        await call;
        count('ok');
      } catch (error) {
        // Every failure is typed: never a raw fetch, undici or zod error.
        expect(error).toBeInstanceOf(SwitchboardError);
        count((error as SwitchboardError).code);
      }
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const settled = [...outcomes.values()].reduce((sum, n) => sum + n, 0);
  console.log(`outcomes of ${settled} calls: ${JSON.stringify(Object.fromEntries(outcomes))}`);
  expect(settled).toBe(CALLS);
  expect(outcomes.get('ok') ?? 0).toBeGreaterThan(0);
  expect(getEventListeners(shared.signal, 'abort')).toHaveLength(0);

  await client.close();
  await registry.close();
  await expectResourcesBack(baseline, { timeoutMs: 3_000 });
}, 120_000);
