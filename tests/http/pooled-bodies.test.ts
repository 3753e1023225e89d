import { createServer, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ServiceClient, ServiceRegistry, isSwitchboardError } from 'switchboard';
import { failureOf, registryWith, testService } from './helpers.js';

// The client's own pool reads small bodies of declared length in one go and
// streams the rest; these cover both paths, their limits and their aborts.

type Stalling = { readonly registry: ServiceRegistry; readonly sockets: Set<Socket> };
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

/** A server whose `answer` writes part of a body and never ends it. */
async function stallingService(answer: (res: ServerResponse) => void): Promise<Stalling> {
  const sockets = new Set<Socket>();
  const server = createServer((_req, res) => {
    answer(res);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const registry = new ServiceRegistry({ health: false });
  registry.register({ name: 'api', baseUrl: `http://127.0.0.1:${port}` });
  cleanups.push(async () => {
    for (const socket of sockets) socket.destroy();
    await registry.close();
    await new Promise((resolve) => server.close(resolve));
  });
  return { registry, sockets };
}

const json = (contentLength: string): Record<string, string> => ({
  'content-type': 'application/json',
  'content-length': contentLength,
});

const declaredButShort = (res: ServerResponse): void => {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
  res.write('{"a":');
};
const chunkedButUnfinished = (res: ServerResponse): void => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.write('{"a":');
};

describe('ServiceClient over its own pool: response bodies', () => {
  it('reads bodies of declared length and chunked ones alike', async () => {
    const api = await testService('api');
    const small = JSON.stringify({ a: 1 });
    const large = { items: Array.from({ length: 20_000 }, (_, i) => i) }; // ~110 KB
    const bom = '\uFEFFhello é';
    const text = { 'content-type': 'text/plain; charset=utf-8' };
    const length = (body: string): string => String(Buffer.byteLength(body));
    api
      .route('GET', '/declared', { text: small, headers: json(length(small)) })
      .route('GET', '/chunked', { json: { a: 1 } })
      .route('GET', '/large', { json: large })
      .route('GET', '/bom-declared', {
        text: bom,
        headers: { ...text, 'content-length': length(bom) },
      })
      .route('GET', '/bom-chunked', { text: bom, headers: text });
    const client = new ServiceClient('api', { registry: registryWith([api]) });
    expect(await client.get('/declared')).toEqual({ a: 1 });
    expect(await client.get('/chunked')).toEqual({ a: 1 });
    expect(await client.get('/large')).toEqual(large);
    // Decoded as Response.text() would: UTF-8, the byte order mark dropped.
    expect(await client.get('/bom-declared')).toBe('hello é');
    expect(await client.get('/bom-chunked')).toBe('hello é');
    await client.close();
  });

  it('keeps maxResponseBytes whichever path a body takes, and cuts error bodies', async () => {
    const api = await testService('api');
    const fits = 'x'.repeat(900);
    const over = 'x'.repeat(1_100);
    const error = 'e'.repeat(1_500);
    api
      .route('GET', '/fits', { text: fits, headers: { 'content-length': '900' } })
      .route('GET', '/fits-chunked', { text: fits })
      .route('GET', '/over', { text: over, headers: { 'content-length': '1100' } })
      .route('GET', '/over-chunked', { text: over })
      .route('GET', '/error', { status: 400, text: error, headers: { 'content-length': '1500' } })
      .route('GET', '/error-chunked', { status: 400, text: error })
      .route('GET', '/small-error', {
        status: 400,
        text: 'no',
        headers: { 'content-length': '2' },
      });
    const client = new ServiceClient('api', {
      registry: registryWith([api]),
      maxResponseBytes: 1_000,
    });
    expect(await client.get('/fits')).toBe(fits);
    expect(await client.get('/fits-chunked')).toBe(fits);
    expect(await failureOf(client.get('/over'))).toMatchObject({ reason: 'too-large' });
    expect(await failureOf(client.get('/over-chunked'))).toMatchObject({ reason: 'too-large' });
    for (const path of ['/error', '/error-chunked']) {
      expect(await failureOf(client.get(path))).toMatchObject({
        status: 400,
        body: 'e'.repeat(1_000),
      });
    }
    expect(await failureOf(client.get('/small-error'))).toMatchObject({ status: 400, body: 'no' });
    await client.close();
  });

  it('puts searchParams in place of the query of the path, as ky does', async () => {
    const api = await testService('api');
    api.route('GET', '/q', { json: 1 });
    const client = new ServiceClient('api', { registry: registryWith([api]) });
    await client.get('/q?old=1', { searchParams: { a: 'x y', b: 2 } });
    await client.get('/q?kept=1', { searchParams: {} });
    await client.get('/q', { searchParams: new URLSearchParams([['c', '&']]) });
    expect(api.requests.map((request) => request.url)).toEqual([
      '/q?a=x+y&b=2',
      '/q?kept=1',
      '/q?c=%26',
    ]);
    await client.close();
  });
});

describe.each([
  ['a body of declared length (read in one go)', declaredButShort],
  ['a chunked body (streamed)', chunkedButUnfinished],
])('ServiceClient over its own pool: %s that stops mid-way', (_name, answer) => {
  it('times out with TimeoutError', async () => {
    const { registry } = await stallingService(answer);
    const client = new ServiceClient('api', { registry, timeoutMs: 100, retry: false });
    cleanups.push(() => client.close());
    const started = Date.now();
    const error = await failureOf(client.get('/x'));
    expect(isSwitchboardError(error, 'TIMEOUT')).toBe(true);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("aborts with AbortError on the caller's signal", async () => {
    const { registry } = await stallingService(answer);
    const client = new ServiceClient('api', { registry, retry: false });
    cleanups.push(() => client.close());
    const controller = new AbortController();
    const pending = failureOf(client.get('/x', { signal: controller.signal }));
    setTimeout(() => {
      controller.abort(new Error('user left'));
    }, 50);
    const error = await pending;
    expect(isSwitchboardError(error, 'ABORTED')).toBe(true);
    expect((error as Error).cause).toEqual(new Error('user left'));
  });
});

describe('ServiceClient on a fetch of the caller', () => {
  it('still times out and aborts: the fetch gets a real AbortSignal', async () => {
    const api = await testService('api');
    api.route('GET', '/hang', 'hang');
    const seen: (AbortSignal | null | undefined)[] = [];
    const fetchSpy = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
      seen.push(input instanceof Request ? input.signal : init?.signal);
      return globalThis.fetch(input, init);
    };
    const client = new ServiceClient('api', {
      registry: registryWith([api]),
      fetch: fetchSpy,
      timeoutMs: 100,
      retry: false,
    });
    expect(isSwitchboardError(await failureOf(client.get('/hang')), 'TIMEOUT')).toBe(true);
    const controller = new AbortController();
    const pending = failureOf(client.get('/hang', { signal: controller.signal, timeoutMs: 5_000 }));
    setTimeout(() => {
      controller.abort(new Error('stop'));
    }, 50);
    expect(isSwitchboardError(await pending, 'ABORTED')).toBe(true);
    expect(seen.every((signal) => signal instanceof AbortSignal && signal.aborted)).toBe(true);
    expect(seen).toHaveLength(2);
  });
});
