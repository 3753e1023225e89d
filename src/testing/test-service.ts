import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { ServiceInstance } from '../registry/service-instance.js';

/** A scripted answer: status, body, headers, optional delay before answering. */
export type TestResponse = {
  /** @default 200 */
  readonly status?: number;
  /** Sent as JSON with `content-type: application/json`. */
  readonly json?: unknown;
  /** Sent as is (`content-type: text/plain` unless `headers` says otherwise). */
  readonly text?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Wait this long before answering (the socket stays open). */
  readonly delayMs?: number;
};

/**
 * What a route does for one request: answer, reset the connection (`'reset'`),
 * never answer (`'hang'`), or compute one of those from the request.
 */
export type TestBehaviour =
  | TestResponse
  | 'reset'
  | 'hang'
  | ((request: RecordedRequest) => TestResponse | 'reset' | 'hang' | Promise<TestResponse>);

/** A request the test service received, headers included. */
export type RecordedRequest = {
  readonly method: string;
  /** Path without the query string. */
  readonly path: string;
  /** Path and query string, as sent. */
  readonly url: string;
  readonly params: Readonly<Record<string, string>>;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
  readonly receivedAt: number;
};

/** A running test service; see {@link createTestService}. */
export type TestService = {
  readonly name: string;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** Every request received, oldest first. */
  readonly requests: readonly RecordedRequest[];
  /**
   * Scripts `method path` (`:name` segments are parameters): each request takes
   * the next behaviour, and the last one repeats. Replaces an earlier script.
   */
  route(method: string, path: string, ...behaviours: TestBehaviour[]): TestService;
  /** The requests that matched `method path`. */
  requestsTo(method: string, path: string): RecordedRequest[];
  /** Registers this service in a registry under its name (health checks on `/health`). */
  registerIn(registry: RegistryLike, options?: { readonly healthPath?: string }): ServiceInstance;
  /** Closes the server and destroys every open socket, hung ones included. Idempotent. */
  close(): Promise<void>;
};

/** The part of `ServiceRegistry` that {@link TestService.registerIn} needs. */
export type RegistryLike = {
  register(registration: {
    name: string;
    baseUrl: string;
    healthPath?: string;
    id?: string;
  }): ServiceInstance;
};

type Route = {
  method: string;
  pattern: RegExp;
  keys: string[];
  path: string;
  script: TestBehaviour[];
  served: number;
};

/**
 * Starts a real `node:http` server on 127.0.0.1 with scripted routes, for
 * tests of code that calls other services. `GET /health` answers 200 unless
 * scripted; unknown routes answer 404.
 *
 * @example
 * import { createTestService } from 'switchboard/testing';
 * const auth = await createTestService('auth');
 * auth.route('GET', '/users/:id', { status: 503, headers: { 'retry-after': '1' } }, { json: { id: 1 } });
 * // ... call it, then:
 * auth.requestsTo('GET', '/users/:id').length; // 2
 * await auth.close();
 */
export async function createTestService(name = 'test-service'): Promise<TestService> {
  const routes: Route[] = [];
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const pending = new Set<NodeJS.Timeout>();

  const server = createServer((req, res) => {
    void handle(req, res);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = req.url ?? '/';
    const path = url.split('?')[0] ?? '/';
    const method = req.method ?? 'GET';
    const match = findRoute(routes, method, path);
    const request: RecordedRequest = {
      method,
      path,
      url,
      params: match?.params ?? {},
      headers: { ...req.headers },
      body: Buffer.concat(chunks).toString('utf8'),
      receivedAt: Date.now(),
    };
    requests.push(request);
    let behaviour: TestBehaviour;
    if (match !== undefined) {
      const { route } = match;
      behaviour = route.script[Math.min(route.served, route.script.length - 1)] ?? {};
      route.served += 1;
    } else if (method === 'GET' && path === '/health') {
      behaviour = { json: { status: 'ok' } };
    } else {
      behaviour = { status: 404, json: { error: `no route for ${method} ${path}` } };
    }
    const outcome = typeof behaviour === 'function' ? await behaviour(request) : behaviour;
    if (outcome === 'hang') return;
    if (outcome === 'reset') {
      req.socket.resetAndDestroy();
      return;
    }
    if (outcome.delayMs !== undefined && outcome.delayMs > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          pending.delete(timer);
          resolve();
        }, outcome.delayMs);
        pending.add(timer);
      });
      if (res.destroyed) return;
    }
    send(res, outcome);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  let closed: Promise<void> | undefined;

  const service: TestService = {
    name,
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    route(method, path, ...behaviours) {
      const keys: string[] = [];
      const source = path
        .split('/')
        .map((segment) => {
          if (!segment.startsWith(':')) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
          keys.push(segment.slice(1));
          return '([^/]+)';
        })
        .join('/');
      const upper = method.toUpperCase();
      const existing = routes.findIndex((route) => route.method === upper && route.path === path);
      if (existing >= 0) routes.splice(existing, 1);
      routes.push({
        method: upper,
        path,
        pattern: new RegExp(`^${source}$`),
        keys,
        script: behaviours.length > 0 ? behaviours : [{}],
        served: 0,
      });
      return service;
    },
    requestsTo(method, path) {
      const route = routes.find((r) => r.method === method.toUpperCase() && r.path === path);
      if (route === undefined) {
        return requests.filter((r) => r.method === method.toUpperCase() && r.path === path);
      }
      return requests.filter((r) => r.method === route.method && route.pattern.test(r.path));
    },
    registerIn(registry, options = {}) {
      return registry.register({
        name,
        baseUrl: service.url,
        healthPath: options.healthPath ?? '/health',
      });
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        for (const timer of pending) clearTimeout(timer);
        pending.clear();
        server.close(() => {
          resolve();
        });
        for (const socket of sockets) socket.destroy();
      });
      return closed;
    },
  };
  return service;
}

function findRoute(
  routes: readonly Route[],
  method: string,
  path: string,
): { route: Route; params: Record<string, string> } | undefined {
  for (const route of routes) {
    if (route.method !== method) continue;
    const match = route.pattern.exec(path);
    if (match === null) continue;
    const params: Record<string, string> = {};
    route.keys.forEach((key, index) => {
      params[key] = decodeURIComponent(match[index + 1] ?? '');
    });
    return { route, params };
  }
  return undefined;
}

function send(res: ServerResponse, response: TestResponse): void {
  const headers: Record<string, string> = { ...response.headers };
  let body = '';
  if (response.json !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = JSON.stringify(response.json);
  } else if (response.text !== undefined) {
    headers['content-type'] ??= 'text/plain';
    body = response.text;
  }
  res.writeHead(response.status ?? 200, headers);
  res.end(body);
}
