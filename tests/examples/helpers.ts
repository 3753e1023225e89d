import { afterEach } from 'vitest';
import type { HttpOperations, ServiceRegistry } from 'switchboard';
import {
  createRecordingBus,
  createTestRegistry,
  type RecordingBus,
  type TestService,
} from 'switchboard/testing';
import {
  createAuthService,
  type AuthService,
  type AuthServiceOptions,
} from '../../examples/auth-service/auth-service.js';
import { createProductService } from '../../examples/product-service/product-service.js';
import type { ServiceHandle } from '../../examples/shared/listen.js';

/** Everything a test starts, closed after it, last started first. */
const open: { close(): Promise<void> }[] = [];

afterEach(async () => {
  for (const item of open.splice(0).reverse()) await item.close();
});

/** Closes `item` after the test. */
export function closeAfter<T extends { close(): Promise<void> }>(item: T): T {
  open.push(item);
  return item;
}

export const ADMIN = { email: 'admin@example.com', password: 'admin-password' };
export const NOTIFIER = { clientId: 'notifications-service', clientSecret: 'notifier-secret' };

/** A recording bus (memory transport) that every service of a test shares. */
export function recordingBus(): RecordingBus {
  return closeAfter(createRecordingBus({ source: 'examples-test' }));
}

/** A registry with health checks off and a quick breaker, closed after the test. */
export function registry(): ServiceRegistry {
  return closeAfter(
    createTestRegistry([], { breaker: { failureThreshold: 2, resetTimeoutMs: 300 } }),
  );
}

/** A real auth service on a free port, registered in `registry` as `auth`. */
export async function startAuth(
  options: Partial<AuthServiceOptions> & { registry: ServiceRegistry; bus: RecordingBus },
): Promise<AuthService> {
  const auth = closeAfter(
    await createAuthService({
      port: 0,
      admin: ADMIN,
      clients: { [NOTIFIER.clientId]: NOTIFIER.clientSecret },
      ...options,
    }),
  );
  if (options.registry.instances('auth').length === 0) {
    options.registry.register({ name: 'auth', baseUrl: auth.baseUrl, healthPath: '/health' });
  }
  return auth;
}

/** A contract and the base path its operations are served under (`/api/v1`, or `''` for the origin). */
/** A real product service on a free port, its user cache off, closed after the test. */
export async function startProduct(
  registry: ServiceRegistry,
  bus: RecordingBus,
): Promise<ServiceHandle> {
  return closeAfter(await createProductService({ port: 0, registry, bus, userCacheTtlMs: 0 }));
}

/** The usual stack of a test: a recording bus, a registry, auth and product services. */
export async function startAuthAndProduct(): Promise<{
  readonly bus: RecordingBus;
  readonly registry: ServiceRegistry;
  readonly auth: AuthService;
  readonly product: ServiceHandle;
}> {
  const bus = recordingBus();
  const reg = registry();
  const auth = await startAuth({ registry: reg, bus });
  return { bus, registry: reg, auth, product: await startProduct(reg, bus) };
}

export type ServedContract = readonly [{ readonly operations: HttpOperations }, string];

/**
 * The requests (`'GET /path'`) a stand-in received that match no operation of
 * the given contracts: what a consumer calls without having declared it.
 */
export function requestsOutside(service: TestService, ...contracts: ServedContract[]): string[] {
  const declared = new Set(
    contracts.flatMap(([{ operations }, basePath]) =>
      Object.values(operations).flatMap((operation) =>
        service.requestsTo(operation.method, `${basePath}${operation.path}`),
      ),
    ),
  );
  return service.requests
    .filter((request) => !declared.has(request))
    .map((request) => `${request.method} ${request.path}`);
}

/** The operations of the given contracts that a stand-in never received: declared, but not used. */
export function operationsUnused(service: TestService, ...contracts: ServedContract[]): string[] {
  return contracts.flatMap(([{ operations }, basePath]) =>
    Object.entries(operations)
      .filter(
        ([, { method, path }]) => service.requestsTo(method, `${basePath}${path}`).length === 0,
      )
      .map(([name]) => name),
  );
}

export type Reply = {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown>;
};

/** A JSON request over real HTTP. */
export async function call(
  method: string,
  url: string,
  options: {
    readonly token?: string;
    readonly json?: unknown;
    readonly correlationId?: string;
  } = {},
): Promise<Reply> {
  const headers: Record<string, string> = {};
  if (options.token !== undefined) headers['authorization'] = `Bearer ${options.token}`;
  if (options.correlationId !== undefined) headers['x-correlation-id'] = options.correlationId;
  if (options.json !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(url, {
    method,
    headers,
    ...(options.json === undefined ? {} : { body: JSON.stringify(options.json) }),
    signal: AbortSignal.timeout(5_000),
  });
  const text = await response.text();
  const body = (text === '' ? {} : JSON.parse(text)) as Record<string, unknown>;
  return { status: response.status, headers: response.headers, body };
}

/** Registers a user and logs them in; resolves to their id and access token. */
export async function signUp(
  auth: AuthService,
  username: string,
): Promise<{ readonly id: number; readonly token: string }> {
  const email = `${username}@example.com`;
  const password = `${username}-password`;
  const registered = await call('POST', `${auth.baseUrl}/auth/register`, {
    json: { email, username, password },
  });
  if (registered.status !== 201) throw new Error(`register: ${JSON.stringify(registered.body)}`);
  return { id: Number(registered.body['id']), token: await logIn(auth, email, password) };
}

export async function logIn(auth: AuthService, email: string, password: string): Promise<string> {
  const reply = await call('POST', `${auth.baseUrl}/auth/login`, { json: { email, password } });
  if (reply.status !== 200) throw new Error(`login: ${JSON.stringify(reply.body)}`);
  return String(reply.body['accessToken']);
}

/** Makes `userId` staff (manage_stock, update_product), as the admin. */
export async function makeStaff(auth: AuthService, userId: number): Promise<void> {
  const token = await logIn(auth, ADMIN.email, ADMIN.password);
  const reply = await call('PATCH', `${auth.baseUrl}/users/${userId}`, {
    token,
    json: { roles: ['staff'] },
  });
  if (reply.status !== 200) throw new Error(`grant: ${JSON.stringify(reply.body)}`);
}

/** Polls `check` until it returns a value, for at most `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs = 3_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
