import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { closeServer } from '../support/close-server.js';
import {
  AbortError,
  ContractViolationError,
  ResponseValidationError,
  ServiceClient,
  ServiceRegistry,
  createContractClient,
  defineHttpContract,
  isSwitchboardError,
} from 'switchboard';
import {
  assertHttpContract,
  createTestService,
  verifyHttpContract,
  type TestService,
} from 'switchboard/testing';

const User = z.object({ id: z.number(), email: z.string(), roles: z.array(z.string()) });

const authContract = defineHttpContract('auth', {
  getUser: { method: 'GET', path: '/users/:id', response: User },
  verifyToken: {
    method: 'POST',
    path: '/tokens/verify',
    body: z.object({ token: z.string().min(1) }),
    response: z.object({ active: z.boolean() }),
  },
  endSession: { method: 'DELETE', path: '/sessions/:sessionId' },
});

const ada = { id: 7, email: 'ada@example.test', roles: ['admin'] };

let services: TestService[] = [];
let clients: ServiceClient[] = [];
let servers: Server[] = [];

afterEach(async () => {
  await Promise.all([
    ...services.map((s) => s.close()),
    ...clients.map((c) => c.close()),
    ...servers.map(closeServer),
  ]);
  services = [];
  clients = [];
  servers = [];
});

async function service(): Promise<TestService> {
  const created = await createTestService('auth');
  services.push(created);
  return created;
}

/** A provider that honours the contract. */
async function goodProvider(): Promise<TestService> {
  const auth = await service();
  auth.route('GET', '/users/:id', { json: ada });
  auth.route('POST', '/tokens/verify', { json: { active: true } });
  auth.route('DELETE', '/sessions/:sessionId', { status: 204 });
  return auth;
}

function clientFor(auth: TestService): ServiceClient {
  const registry = ServiceRegistry.fromConfig({ auth: auth.url }, { health: false });
  const client = new ServiceClient('auth', { registry, retry: false });
  clients.push(client);
  return client;
}

const fixtures = {
  getUser: { params: { id: 7 } },
  verifyToken: { body: { token: 't-1' } },
  endSession: { params: { sessionId: 's-1' }, status: 204 },
} as const;

describe('defineHttpContract', () => {
  it('keeps the operations and rejects malformed ones with a TypeError naming the field', () => {
    expect(authContract.service).toBe('auth');
    expect(Object.keys(authContract.operations)).toEqual(['getUser', 'verifyToken', 'endSession']);
    const bad: [unknown, string][] = [
      [{ x: { method: 'FETCH', path: '/a' } }, 'operations.x.method'],
      [{ x: { method: 'GET', path: 'a' } }, 'operations.x.path'],
      [{ x: { method: 'GET', path: '//evil.example/a' } }, 'operations.x.path'],
      [{ x: { method: 'GET', path: '/a?b=1' } }, 'operations.x.path'],
      [{ x: { method: 'GET', path: '/a', response: { parse() {} } } }, 'operations.x.response'],
      [{}, 'operations'],
    ];
    for (const [operations, option] of bad) {
      expect(() => defineHttpContract('auth', operations as never)).toThrow(
        expect.objectContaining({
          name: 'TypeError',
          option,
          code: 'ERR_SWITCHBOARD_INVALID_OPTION',
        }),
      );
    }
  });
});

describe('contract client', () => {
  it('fills path parameters, sends the body and resolves to the validated response', async () => {
    const auth = await goodProvider();
    const client = authContract.client(clientFor(auth));
    const user = await client.getUser({ params: { id: 'a/b?c' } });
    expect(user).toEqual(ada);
    expect(auth.requests[0]?.url).toBe('/users/a%2Fb%3Fc');
    expect(auth.requests[0]?.params).toEqual({ id: 'a/b?c' });
    await expect(client.verifyToken({ body: { token: 't-1' }, token: 'jwt' })).resolves.toEqual({
      active: true,
    });
    const verify = auth.requestsTo('POST', '/tokens/verify')[0];
    expect(JSON.parse(verify?.body ?? '')).toEqual({ token: 't-1' });
    expect(verify?.headers['authorization']).toBe('Bearer jwt');
    await expect(client.endSession({ params: { sessionId: 's-1' } })).resolves.toBeUndefined();
  });

  it('is the same as createContractClient, and rejects a response that breaks the schema', async () => {
    const auth = await service();
    auth.route('GET', '/users/:id', { json: { id: 7, email: 42, roles: [] } });
    const client = createContractClient(authContract, clientFor(auth));
    const error = await client.getUser({ params: { id: 7 } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResponseValidationError);
    expect((error as ResponseValidationError).issues[0]?.path).toEqual(['email']);
  });

  it("passes the caller's signal through", async () => {
    const auth = await goodProvider();
    const client = authContract.client(clientFor(auth));
    const error = await client
      .getUser({ params: { id: 7 }, signal: AbortSignal.abort('stop') })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortError);
    expect(auth.requests).toHaveLength(0);
  });

  it('rejects a call with a missing path parameter before sending it', async () => {
    const auth = await goodProvider();
    const client = authContract.client(clientFor(auth));
    await expect(client.getUser({ params: {} } as never)).rejects.toMatchObject({
      name: 'TypeError',
      option: 'getUser: params.id',
    });
    expect(auth.requests).toHaveLength(0);
  });
});

describe('verifyHttpContract', () => {
  it('passes a provider that honours every operation', async () => {
    const auth = await goodProvider();
    const report = await verifyHttpContract(authContract, { baseUrl: auth.url, fixtures });
    expect(report).toEqual({
      service: 'auth',
      baseUrl: auth.url,
      ok: true,
      results: [
        {
          operation: 'getUser',
          method: 'GET',
          path: '/users/:id',
          ok: true,
          status: 200,
          skipped: undefined,
          issues: [],
        },
        {
          operation: 'verifyToken',
          method: 'POST',
          path: '/tokens/verify',
          ok: true,
          status: 200,
          skipped: undefined,
          issues: [],
        },
        {
          operation: 'endSession',
          method: 'DELETE',
          path: '/sessions/:sessionId',
          ok: true,
          status: 204,
          skipped: undefined,
          issues: [],
        },
      ],
    });
    expect(auth.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      'GET /users/7',
      'POST /tokens/verify',
      'DELETE /sessions/s-1',
    ]);
  });

  it('reports a field of the wrong type and a missing field, with their paths', async () => {
    const auth = await goodProvider();
    auth.route('GET', '/users/:id', { json: { id: '7', email: 'ada@example.test' } });
    const report = await verifyHttpContract(authContract, { baseUrl: auth.url, fixtures });
    expect(report.ok).toBe(false);
    const getUser = report.results[0];
    expect(getUser?.ok).toBe(false);
    expect(getUser?.status).toBe(200);
    expect(getUser?.issues.map((issue) => [issue.kind, issue.path])).toEqual([
      ['body', ['id']],
      ['body', ['roles']],
    ]);
    expect(getUser?.issues[0]?.message).toMatch(/^body\.id: .*expected number/);
    expect(report.results.slice(1).every((result) => result.ok)).toBe(true);
  });

  it('reports a wrong status with what the provider said, and checks expected error statuses', async () => {
    const auth = await goodProvider();
    auth.route('POST', '/tokens/verify', { status: 500, json: { error: 'database down' } });
    auth.route('DELETE', '/sessions/:sessionId', { json: { deleted: true } });
    const report = await verifyHttpContract(authContract, { baseUrl: auth.url, fixtures });
    expect(report.results[1]).toMatchObject({
      status: 500,
      issues: [
        { kind: 'status', message: 'expected status 2xx, got 500: {"error":"database down"}' },
      ],
    });
    expect(report.results[2]).toMatchObject({
      status: 200,
      issues: [{ kind: 'status', message: 'expected status 204, got 200: {"deleted":true}' }],
    });
    // A 2xx that is not the expected one still has its body checked.
    auth.route('POST', '/tokens/verify', { status: 201, json: { active: 'yes' } });
    const again = await verifyHttpContract(authContract, {
      baseUrl: auth.url,
      fixtures: { ...fixtures, verifyToken: { body: { token: 't' }, status: 200 } },
    });
    expect(again.results[1]?.issues.map((issue) => issue.kind)).toEqual(['status', 'body']);
  });

  it('checks an expected error status without applying the success schema', async () => {
    const auth = await goodProvider();
    auth.route('GET', '/users/:id', { status: 404, json: { error: 'no such user' } });
    const report = await verifyHttpContract(authContract, {
      baseUrl: auth.url,
      fixtures: { ...fixtures, getUser: { params: { id: 999 }, status: 404 } },
    });
    expect(report.ok).toBe(true);
    expect(report.results[0]?.status).toBe(404);
  });

  it('reports a body that is not JSON, or malformed JSON', async () => {
    const auth = await goodProvider();
    auth.route('GET', '/users/:id', {
      text: '<html>hi</html>',
      headers: { 'content-type': 'text/html' },
    });
    auth.route('POST', '/tokens/verify', {
      text: '{"active":',
      headers: { 'content-type': 'application/json' },
    });
    const report = await verifyHttpContract(authContract, { baseUrl: auth.url, fixtures });
    expect(report.results[0]?.issues).toEqual([
      { kind: 'body', path: [], message: 'body: expected JSON, got text/html' },
    ]);
    expect(report.results[1]?.issues[0]?.message).toMatch(/^body: .*not valid JSON/);
  });

  it('fails an operation without a fixture as unverified, and passes one skipped with a reason', async () => {
    const auth = await goodProvider();
    const report = await verifyHttpContract(authContract, {
      baseUrl: auth.url,
      fixtures: { getUser: fixtures.getUser, endSession: { skip: 'sessions are stubbed here' } },
    });
    expect(report.ok).toBe(false);
    expect(report.results[1]).toEqual({
      operation: 'verifyToken',
      method: 'POST',
      path: '/tokens/verify',
      ok: false,
      status: undefined,
      skipped: undefined,
      issues: [
        {
          kind: 'unverified',
          path: [],
          message: "no fixture, so it is unverified: add fixtures.verifyToken, or { skip: 'why' }",
        },
      ],
    });
    expect(report.results[2]).toMatchObject({ ok: true, skipped: 'sessions are stubbed here' });
    expect(auth.requests.map((r) => r.method)).toEqual(['GET']);
  });

  it("reports a fixture whose body breaks the consumer's body schema, without calling the provider", async () => {
    const auth = await goodProvider();
    const report = await verifyHttpContract(authContract, {
      baseUrl: auth.url,
      fixtures: { ...fixtures, verifyToken: { body: { token: '' } } },
    });
    expect(report.results[1]?.issues).toMatchObject([{ kind: 'fixture', path: ['token'] }]);
    expect(auth.requestsTo('POST', '/tokens/verify')).toHaveLength(0);
  });

  it('sends the common and per-operation headers, the query, and JSON bodies', async () => {
    const auth = await goodProvider();
    await verifyHttpContract(authContract, {
      baseUrl: `${auth.url}/`,
      headers: { authorization: 'Bearer test', 'x-tenant': 'a' },
      fixtures: {
        ...fixtures,
        getUser: {
          params: { id: 7 },
          searchParams: { expand: 'roles', n: 1 },
          headers: { 'x-tenant': 'b' },
        },
      },
    });
    const [get, post] = auth.requests;
    expect(get?.url).toBe('/users/7?expand=roles&n=1');
    expect(get?.headers).toMatchObject({
      authorization: 'Bearer test',
      'x-tenant': 'b',
      accept: 'application/json',
    });
    expect(post?.headers['content-type']).toBe('application/json');
    expect(post?.body).toBe('{"token":"t-1"}');
  });

  it('keeps a base path and never follows a redirect elsewhere', async () => {
    const elsewhere = await goodProvider();
    const auth = await service();
    auth.route('GET', '/api/v1/users/:id', {
      status: 302,
      headers: { location: `${elsewhere.url}/users/7` },
    });
    const report = await verifyHttpContract(authContract, {
      baseUrl: `${auth.url}/api/v1`,
      fixtures: {
        getUser: fixtures.getUser,
        verifyToken: { skip: 'n/a' },
        endSession: { skip: 'n/a' },
      },
    });
    expect(auth.requests.map((r) => r.url)).toEqual(['/api/v1/users/7']);
    expect(elsewhere.requests).toHaveLength(0);
    expect(report.results[0]?.issues[0]?.message).toBe('expected status 2xx, got 302');
  });

  it('reports a provider that does not answer in time, or at all', async () => {
    const auth = await goodProvider();
    auth.route('GET', '/users/:id', 'hang');
    auth.route('POST', '/tokens/verify', 'reset');
    const report = await verifyHttpContract(authContract, {
      baseUrl: auth.url,
      fixtures,
      timeoutMs: 50,
    });
    expect(report.results[0]?.issues).toEqual([
      { kind: 'request', path: [], message: 'no answer within 50 ms' },
    ]);
    expect(report.results[1]?.issues[0]).toMatchObject({
      kind: 'request',
      message: /^no answer: /,
    });
    expect(report.results[2]?.ok).toBe(true);
  });

  it('rejects with an AbortError when the signal aborts', async () => {
    const auth = await goodProvider();
    auth.route('GET', '/users/:id', 'hang');
    const controller = new AbortController();
    const verifying = verifyHttpContract(authContract, {
      baseUrl: auth.url,
      fixtures,
      signal: controller.signal,
    });
    await expect.poll(() => auth.requests.length).toBe(1);
    controller.abort('enough');
    const error = await verifying.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortError);
    expect((error as AbortError).cause).toBe('enough');
  });

  it('rejects bad options and fixtures before sending anything', async () => {
    const auth = await goodProvider();
    const cases: [Record<string, unknown>, string][] = [
      [{ baseUrl: 'ftp://x', fixtures }, 'baseUrl'],
      [{ baseUrl: 'http://user:pw@127.0.0.1', fixtures }, 'baseUrl'],
      [{ baseUrl: auth.url, fixtures: { ...fixtures, nope: { skip: 'x' } } }, 'fixtures.nope'],
      [
        { baseUrl: auth.url, fixtures: { ...fixtures, endSession: { params: {} } } },
        'fixtures.endSession.params.sessionId',
      ],
      [
        { baseUrl: auth.url, fixtures: { ...fixtures, getUser: { skip: '' } } },
        'fixtures.getUser.skip',
      ],
      [
        {
          baseUrl: auth.url,
          fixtures: { ...fixtures, getUser: { params: { id: 1 }, status: 99 } },
        },
        'fixtures.getUser.status',
      ],
      [{ baseUrl: auth.url, fixtures, timeoutMs: 0 }, 'timeoutMs'],
    ];
    for (const [options, option] of cases) {
      await expect(verifyHttpContract(authContract, options as never)).rejects.toMatchObject({
        option,
      });
    }
    expect(auth.requests).toHaveLength(0);
  });

  it('works against a plain node:http provider', async () => {
    const server = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      res.end(
        JSON.stringify(
          req.url === '/tokens/verify' ? { active: false } : { ...ada, roles: 'admin' },
        ),
      );
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const report = await verifyHttpContract(authContract, {
      baseUrl: `http://127.0.0.1:${port}`,
      fixtures: { ...fixtures, endSession: { params: { sessionId: 'x' } } },
    });
    expect(report.results.map((result) => result.ok)).toEqual([false, true, true]);
    expect(report.results[0]?.issues[0]?.path).toEqual(['roles']);
  });
});

describe('assertHttpContract', () => {
  it('returns the report when the provider honours the contract', async () => {
    const auth = await goodProvider();
    await expect(
      assertHttpContract(authContract, { baseUrl: auth.url, fixtures }),
    ).resolves.toMatchObject({ ok: true });
  });

  it('throws a ContractViolationError listing every mismatch', async () => {
    const auth = await goodProvider();
    auth.route('GET', '/users/:id', { json: { id: 7 } });
    const error = await assertHttpContract(authContract, {
      baseUrl: auth.url,
      fixtures: { getUser: fixtures.getUser, endSession: fixtures.endSession },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ContractViolationError);
    expect(isSwitchboardError(error, 'CONTRACT_VIOLATION')).toBe(true);
    const violation = error as ContractViolationError;
    expect(violation.contract).toBe('auth');
    expect(violation.violations.map((v) => v.where)).toEqual([
      'getUser (GET /users/:id)',
      'getUser (GET /users/:id)',
      'verifyToken (POST /tokens/verify)',
    ]);
    expect(violation.message).toMatch(
      /^The "auth" contract is violated \(3 mismatches\):\n {2}- getUser \(GET \/users\/:id\): body\.email: /,
    );
    expect(violation.message).toContain('verifyToken (POST /tokens/verify): no fixture');
  });
});
