import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { waitFor } from '../events/redis/helpers.js';
import { startFaultProxy, type FaultProxy, type FaultProxyTarget } from './fault-proxy.js';

const redisUrl = inject('redisUrl');
const SILENCE_MS = 300;

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

type Echo = { port: number; received: () => string; sockets: Set<Socket> };

/** A loopback echo server that records what reached it. */
async function startEcho(): Promise<Echo> {
  const sockets = new Set<Socket>();
  let received = '';
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString();
      socket.write(chunk);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return { port: (server.address() as { port: number }).port, received: () => received, sockets };
}

async function proxyTo(target: FaultProxyTarget): Promise<FaultProxy> {
  const proxy = await startFaultProxy(target);
  cleanups.push(() => proxy.close());
  return proxy;
}

/** Connects to `port`; resolves the socket, or rejects with the connect error. */
async function dial(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  // Resets are expected here; a test that cares listens itself.
  socket.on('error', () => undefined);
  cleanups.push(() => {
    socket.destroy();
  });
  await bounded(once(socket, 'connect'), 2_000, 'connect');
  return socket;
}

/** The next chunk `socket` reads, or `'silence'` when none comes within `ms`. */
async function nextData(socket: Socket, ms = 2_000): Promise<string> {
  const [chunk] = (await bounded(once(socket, 'data'), ms, 'silence').catch(() => ['silence'])) as [
    Buffer | string,
  ];
  return chunk.toString();
}

/** Reads from `socket` until `length` characters arrived. */
async function readExactly(socket: Socket, length: number): Promise<string> {
  let text = '';
  const onData = (chunk: Buffer): void => {
    text += chunk.toString();
  };
  socket.on('data', onData);
  try {
    await waitFor(() => text.length >= length, 3_000, `${length} characters`);
  } finally {
    socket.off('data', onData);
  }
  return text;
}

/** Resolves on 'close'; unlike events.once, an 'error' first does not reject it. */
function closeOf(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    socket.once('close', () => {
      resolve();
    });
  });
}

async function bounded<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`Timed out after ${ms} ms: ${what}`));
    }, ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function roundTripMs(socket: Socket, text: string): Promise<number> {
  const started = performance.now();
  socket.write(text);
  expect(await readExactly(socket, text.length)).toBe(text);
  return performance.now() - started;
}

async function connectErrorCode(port: number): Promise<string | undefined> {
  const error = (await dial(port).then(
    () => undefined,
    (e: unknown) => e,
  )) as NodeJS.ErrnoException | undefined;
  return error?.code;
}

/** Sockets and listeners by kind, and how many timers are pending. */
function resources(): { network: string[]; timers: number } {
  const kinds = process.getActiveResourcesInfo();
  return {
    network: kinds.filter((kind) => kind.startsWith('TCP')).sort(),
    timers: kinds.filter((kind) => kind === 'Timeout').length,
  };
}

describe('startFaultProxy', () => {
  it('passes bytes both ways by default and counts them', async () => {
    const echo = await startEcho();
    const proxy = await proxyTo({ port: echo.port });
    expect(proxy.host).toBe('127.0.0.1');
    expect(proxy.url).toBe(`redis://127.0.0.1:${proxy.port}`);
    expect(proxy.mode).toEqual({ kind: 'pass' });
    const socket = await dial(proxy.port);
    socket.write('hello');
    expect(await readExactly(socket, 5)).toBe('hello');
    expect(proxy.stats()).toEqual({
      accepted: 1,
      open: 1,
      bytesUp: 5,
      bytesDown: 5,
      droppedUp: 0,
      droppedDown: 0,
    });
  });

  it.each([
    ['both', 2],
    ['up', 1],
    ['down', 1],
  ] as const)('latency in direction %s delays a round trip by %i × ms', async (direction, hops) => {
    const echo = await startEcho();
    const proxy = await proxyTo({ port: echo.port });
    const socket = await dial(proxy.port);
    await proxy.set({ kind: 'latency', ms: 150, direction });
    expect(await roundTripMs(socket, 'slow')).toBeGreaterThanOrEqual(150 * hops);
  });

  it('keeps byte order when a delay is lifted while chunks are held', async () => {
    const echo = await startEcho();
    const proxy = await proxyTo({ port: echo.port });
    const socket = await dial(proxy.port);
    await proxy.set({ kind: 'latency', ms: 200 });
    socket.write('first-');
    await new Promise((resolve) => setTimeout(resolve, 20));
    await proxy.set({ kind: 'pass' });
    socket.write('second');
    expect(await readExactly(socket, 12)).toBe('first-second');
  });

  it('black-hole: drops every byte yet leaves the sockets open', async () => {
    const echo = await startEcho();
    const proxy = await proxyTo({ port: echo.port });
    const socket = await dial(proxy.port);
    let closed = false;
    socket.on('end', () => (closed = true)).on('close', () => (closed = true));
    await proxy.set({ kind: 'black-hole' });
    socket.write('ping');
    expect(await nextData(socket, SILENCE_MS)).toBe('silence');
    expect(closed).toBe(false);
    expect(socket.destroyed).toBe(false);
    expect(echo.received()).toBe('');
    expect(proxy.stats()).toMatchObject({ bytesUp: 4, droppedUp: 4, open: 1 });

    await proxy.set({ kind: 'pass' });
    socket.write('pong');
    expect(await readExactly(socket, 4)).toBe('pong');
  });

  it('drop-replies: Redis runs the command but the client never hears back', async () => {
    const direct = new Redis(redisUrl, { lazyConnect: true });
    direct.on('error', () => undefined);
    cleanups.push(() => {
      direct.disconnect();
    });
    const target = new URL(redisUrl);
    const proxy = await proxyTo({ host: target.hostname, port: Number(target.port || 6379) });
    const via = new URL(redisUrl);
    via.host = `${proxy.host}:${proxy.port}`;
    const proxied = new Redis(via.toString(), { lazyConnect: true, maxRetriesPerRequest: 0 });
    proxied.on('error', () => undefined);
    cleanups.push(() => {
      proxied.disconnect();
    });
    await Promise.all([direct.connect(), proxied.connect()]);
    const key = `fault-proxy-${randomUUID()}`;
    cleanups.push(async () => direct.del(key));

    await proxy.set({ kind: 'drop-replies' });
    const { droppedDown } = proxy.stats();
    const reply = proxied.set(key, 'done').catch((e: unknown) => e);
    const outcome = await Promise.race([
      reply,
      new Promise((resolve) => setTimeout(resolve, SILENCE_MS, 'silence')),
    ]);
    expect(outcome).toBe('silence');
    await waitFor(async () => (await direct.get(key)) === 'done', 2_000, 'the SET on Redis');
    await waitFor(() => proxy.stats().droppedDown > droppedDown, 2_000, 'the reply dropped');
  });

  it('refuse: new connections are refused, open ones still work, and pass listens again', async () => {
    const echo = await startEcho();
    const proxy = await proxyTo({ port: echo.port });
    const port = proxy.port;
    const old = await dial(port);

    await proxy.set({ kind: 'refuse' });
    expect(await connectErrorCode(port)).toBe('ECONNREFUSED');
    old.write('still');
    expect(await readExactly(old, 5)).toBe('still');

    await proxy.set({ kind: 'pass' });
    expect(proxy.port).toBe(port);
    const fresh = await dial(port);
    fresh.write('again');
    expect(await readExactly(fresh, 5)).toBe('again');
    expect(proxy.stats().accepted).toBe(2);
  });

  it('resetAll: the client sees ECONNRESET, the target its connection closed', async () => {
    const echo = await startEcho();
    const proxy = await proxyTo({ port: echo.port });
    const socket = await dial(proxy.port);
    socket.write('x');
    expect(await readExactly(socket, 1)).toBe('x');
    const errors: string[] = [];
    socket.on('error', (error: NodeJS.ErrnoException) => errors.push(error.code ?? ''));
    const closed = closeOf(socket);

    await proxy.resetAll();
    expect(proxy.stats().open).toBe(0);
    await bounded(closed, 2_000, 'the client closed');
    expect(errors).toEqual(['ECONNRESET']);
    await waitFor(() => echo.sockets.size === 0, 2_000, 'the target side closed');
    // The listener is untouched.
    const next = await dial(proxy.port);
    next.write('y');
    expect(await readExactly(next, 1)).toBe('y');
  });

  it('ends the client, without an uncaught error, when the target is down', async () => {
    const spare = createServer().listen(0, '127.0.0.1');
    await once(spare, 'listening');
    const deadPort = (spare.address() as { port: number }).port;
    await new Promise((resolve) => spare.close(resolve));
    const proxy = await proxyTo({ port: deadPort });
    const socket = await dial(proxy.port);
    socket.on('error', () => undefined);
    await bounded(once(socket, 'end'), 2_000, 'the client ended');
    await waitFor(() => proxy.stats().open === 0, 2_000, 'the pair closed');
  });

  it('rejects a negative latency', async () => {
    const proxy = await proxyTo({ port: 1 });
    await expect(proxy.set({ kind: 'latency', ms: -1 })).rejects.toThrow(RangeError);
    expect(proxy.mode).toEqual({ kind: 'pass' });
  });

  it('close() releases the listener before it resolves', async () => {
    const before = resources();
    const proxy = await startFaultProxy({ port: 1 });
    await proxy.close();
    expect(resources().network).toEqual(before.network);
  });

  it('close() is idempotent and leaves no socket, listener or timer behind', async () => {
    const echo = await startEcho();
    const before = resources();
    const proxy = await startFaultProxy({ port: echo.port });
    const socket = connect(proxy.port, '127.0.0.1');
    socket.on('error', () => undefined);
    const closed = closeOf(socket);
    await bounded(once(socket, 'connect'), 2_000, 'connect');
    await waitFor(() => echo.sockets.size === 1, 2_000, 'the upstream connection');
    await proxy.set({ kind: 'latency', ms: 5_000 });
    socket.write('held');
    await waitFor(() => proxy.stats().bytesUp === 4, 2_000, 'the held chunk');

    await Promise.all([proxy.close(), proxy.close()]);
    await proxy.close();
    await bounded(closed, 2_000, 'the client closed');
    await waitFor(() => echo.sockets.size === 0, 2_000, 'the target side closed');
    const after = resources();
    expect(after.network).toEqual(before.network);
    // The runner's own timers come and go; the held chunk's timer must not stay.
    expect(after.timers).toBeLessThanOrEqual(before.timers);
    expect(echo.received()).toBe('');
    await expect(proxy.set({ kind: 'pass' })).rejects.toThrow(/closed/);
    expect(await connectErrorCode(proxy.port)).toBe('ECONNREFUSED');
  });
});
