import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, expect } from 'vitest';
import { ServiceRegistry, type ServiceRegistryOptions } from 'switchboard';

/** Things a test opened, closed after it (registries first, then servers). */
const registries: ServiceRegistry[] = [];
const servers: { close(): Promise<void> }[] = [];

afterEach(async () => {
  await Promise.all(registries.splice(0).map((registry) => registry.close()));
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

/** A registry closed after the test; health checks off unless the test asks. */
export function registry(options: ServiceRegistryOptions = {}): ServiceRegistry {
  const created = new ServiceRegistry({ health: false, ...options });
  registries.push(created);
  return created;
}

/** A real HTTP server on 127.0.0.1 whose `/health` answers as the test says. */
export type HealthServer = {
  readonly url: string;
  /** The status `/health` answers; `'hang'` never answers. */
  status: number | 'hang';
  /** How long `/health` waits before answering. */
  delayMs: number;
  /** Paths requested so far, in order. */
  readonly requests: string[];
  /** Requests being handled now, and the most at once so far. */
  readonly inFlight: number;
  readonly maxInFlight: number;
  /**
   * The server's own ends of connections still open. Node's HTTP server does
   * not read a connection while a response is pending, so a `'hang'` request
   * keeps its server end open after the client has gone: subtract these when
   * counting the sockets a client left behind.
   */
  readonly serverSockets: number;
  close(): Promise<void>;
};

/** Starts a {@link HealthServer} (answering 200 until told otherwise), closed after the test. */
export async function healthServer(): Promise<HealthServer> {
  const sockets = new Set<Socket>();
  let inFlight = 0;
  let maxInFlight = 0;
  const respond = (request: IncomingMessage, response: ServerResponse): void => {
    state.requests.push(request.url ?? '');
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    response.on('close', () => {
      inFlight -= 1;
    });
    const { status } = state;
    if (status === 'hang') return;
    const answer = (): void => {
      response.writeHead(status, { 'content-type': 'text/plain' }).end('ok');
    };
    // No timer without a delay, so tests that fake timers can still talk to the server.
    if (state.delayMs === 0) answer();
    else setTimeout(answer, state.delayMs);
  };
  const server = createServer(respond);
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  const state: HealthServer = {
    url: `http://127.0.0.1:${port}`,
    status: 200,
    delayMs: 0,
    requests: [],
    get inFlight() {
      return inFlight;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    get serverSockets() {
      return sockets.size;
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        for (const socket of sockets) socket.destroy();
      });
      return closed;
    },
  };
  servers.push(state);
  return state;
}

/** A URL on 127.0.0.1 where nothing listens: connections are refused. */
export async function refusedUrl(): Promise<string> {
  const server = await healthServer();
  await server.close();
  return server.url;
}

/** Polls `predicate` every 5 ms; fails the test after `timeoutMs`. */
export async function waitFor(predicate: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) expect.fail(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** How many active resources of `type` keep the process alive now. */
export function activeResources(type: 'Timeout' | 'TCPSocketWrap'): number {
  return process.getActiveResourcesInfo().filter((name) => name === type).length;
}

/** The error `fn` throws; fails the test when it does not throw. */
export function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return expect.fail('expected a throw');
}

/** The error `promise` rejects with; fails the test when it fulfils. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  return expect.fail('expected a rejection');
}
