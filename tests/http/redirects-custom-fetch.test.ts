import { describe, expect, it } from 'vitest';
import { ServiceClient, isSwitchboardError } from 'switchboard';
import { failureOf, registryWith, testService } from './helpers.js';

// With its own pool a ServiceClient never follows a redirect; with a `fetch`
// of the caller's (the global fetch follows by default, keeping every header
// but authorization, cookie and proxy-authorization across origins) it must
// not either.
describe('ServiceClient with a caller-supplied fetch: redirects', () => {
  it.each([301, 302, 303, 307, 308])(
    'a %i to another origin is an HttpError; the other server never sees the credentials',
    async (status) => {
      const api = await testService('api');
      const other = await testService('other');
      other.route('GET', '/steal', { json: { stolen: true } });
      api.route('GET', '/moved', { status, headers: { location: `${other.url}/steal` } });
      const registry = registryWith([api]);
      const client = new ServiceClient('api', {
        registry,
        retry: false,
        fetch: globalThis.fetch,
        headers: { 'x-api-key': 'CANARY-api-key', 'x-tenant-secret': 'CANARY-tenant' },
      });
      try {
        const error = await failureOf(client.get('/moved', { token: 'CANARY-token' }));
        expect(isSwitchboardError(error, 'HTTP_ERROR') && error.status).toBe(status);
      } finally {
        await client.close();
      }
      expect(other.requests).toEqual([]);
    },
  );
});
