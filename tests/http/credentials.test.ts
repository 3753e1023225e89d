import { describe, expect, it } from 'vitest';
import { ServiceClient, isSwitchboardError } from 'switchboard';
import type { TestService } from 'switchboard/testing';
import { failureOf, registryWith, testService } from './helpers.js';

// Credentials a caller hands a ServiceClient: the bearer token, the usual
// credential headers, and one only the application knows is a secret.
const TOKEN = 'CANARY-token';
const HEADERS = {
  'x-api-key': 'CANARY-api-key',
  cookie: 'session=CANARY-cookie',
  'proxy-authorization': 'Basic CANARY-proxy',
  'x-tenant-secret': 'CANARY-tenant',
};

/** Everything `other` received that carries one of the canaries. */
function leaks(other: TestService): string[] {
  return other.requests
    .map((request) => `${request.method} ${request.url} ${JSON.stringify(request.headers)}`)
    .filter((line) => line.includes('CANARY'));
}

/** A service `api`, and another origin the test watches. */
async function setUp(basePath = '') {
  const api = await testService('api');
  const other = await testService('other');
  other.route('GET', '/steal', { json: { stolen: true } });
  other.route('POST', '/steal', { json: { stolen: true } });
  const registry = registryWith([]);
  registry.register({ name: 'api', baseUrl: `${api.url}${basePath}` });
  const client = new ServiceClient('api', { registry, retry: false, headers: HEADERS });
  return { api, other, client };
}

describe('ServiceClient: credentials go to the registered origin only', () => {
  it.each([301, 302, 303, 307, 308])(
    'a %i to another origin is an HttpError, and the other server is never asked',
    async (status) => {
      const { api, other, client } = await setUp();
      api.route('GET', '/moved', { status, headers: { location: `${other.url}/steal` } });
      api.route('POST', '/moved', { status, headers: { location: `${other.url}/steal` } });
      try {
        for (const method of ['GET', 'POST'] as const) {
          const error = await failureOf(
            client.request(method, '/moved', {
              token: TOKEN,
              json: method === 'POST' ? {} : undefined,
            }),
          );
          expect(isSwitchboardError(error, 'HTTP_ERROR') && error.status).toBe(status);
        }
      } finally {
        await client.close();
      }
      // The credentials did reach the service itself: the test would see a leak if it followed.
      expect(api.requests.map((request) => request.headers['x-api-key'])).toEqual([
        'CANARY-api-key',
        'CANARY-api-key',
      ]);
      expect(other.requests).toEqual([]);
    },
  );

  it.each([
    (other: TestService) => `${other.url}/steal`,
    (other: TestService) => `${other.url.replace('http:', 'HTTP:')}/steal`,
    (other: TestService) => `${other.url.replace('http:', '')}/steal`, // protocol-relative
    (other: TestService) => `\\\\${other.url.replace('http://', '')}/steal`, // backslashes
    (other: TestService) => `\t//${other.url.replace('http://', '')}/steal`, // stripped by the parser
    (other: TestService) => `http://user:pass@${other.url.replace('http://', '')}/steal`,
  ])('a path that names another origin (#%#) is refused before anything is sent', async (path) => {
    const { api, other, client } = await setUp();
    try {
      const target = path(other);
      const error = await failureOf(client.get(target, { token: TOKEN }));
      expect(isSwitchboardError(error, 'INVALID_URL')).toBe(true);
      expect((error as Error).message).not.toContain('CANARY');
      expect((error as Error).message).not.toContain('pass@');
    } finally {
      await client.close();
    }
    expect(other.requests).toEqual([]);
    expect(api.requests).toEqual([]);
  });

  it.each([
    (other: TestService) => `/\\${other.url.replace('http://', '')}/steal`,
    (other: TestService) => `/..//${other.url.replace('http://', '')}/steal`,
    (other: TestService) => `/steal?next=${other.url}/steal`,
  ])('a path that only mentions another origin (#%#) stays on the service', async (path) => {
    const { api, other, client } = await setUp();
    try {
      await failureOf(client.get(path(other), { token: TOKEN }));
    } finally {
      await client.close();
    }
    expect(api.requests).toHaveLength(1);
    expect(other.requests).toEqual([]);
  });

  it('a path that climbs out of the base path is refused', async () => {
    const { api, client } = await setUp('/api/v1');
    api.route('GET', '/admin', { json: { admin: true } });
    try {
      for (const path of ['../admin', '/../admin', '/%2e%2e/admin', '/./../../admin']) {
        const error = await failureOf(client.get(path, { token: TOKEN }));
        expect({ path, code: (error as { code?: string }).code }).toEqual({
          path,
          code: 'INVALID_URL',
        });
      }
    } finally {
      await client.close();
    }
    expect(api.requests).toEqual([]);
  });

  it("sends a client's credentials to its own service's instances, never to another service's", async () => {
    const { api, other, client } = await setUp();
    const second = await testService('api-2');
    const registry = registryWith([]);
    registry.register({ name: 'api', baseUrl: api.url });
    registry.register({ name: 'api', baseUrl: second.url });
    registry.register({ name: 'other', baseUrl: other.url });
    const spread = new ServiceClient('api', { registry, headers: HEADERS });
    try {
      for (let i = 0; i < 4; i++) await spread.get('/x', { token: TOKEN }).catch(() => undefined);
    } finally {
      await spread.close();
      await client.close();
    }
    expect(api.requests.length + second.requests.length).toBeGreaterThanOrEqual(4);
    expect(second.requests[0]?.headers['authorization']).toBe(`Bearer ${TOKEN}`);
    expect(leaks(other)).toEqual([]);
  });
});
