import { describe, expect, it } from 'vitest';
import { AuthServiceClient, isSwitchboardError } from 'switchboard';
import type { TestService } from 'switchboard/testing';
import { failureOf, registryWith, testService } from './helpers.js';

const USER = { id: 42, email: 'ada@example.test', username: 'ada', fullName: 'Ada L.' };

function jwt(sub: string): string {
  const part = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none' })}.${part({ sub })}.sig`;
}

async function authService(): Promise<TestService> {
  const auth = await testService('auth');
  auth
    .route('GET', '/users/:id', (request) =>
      request.params['id'] === '42'
        ? { json: USER }
        : { status: 404, json: { detail: 'not found' } },
    )
    .route('GET', '/users/:id/permissions', (request) => ({
      json: { userId: Number(request.params['id']), permissions: ['read', 'manage_stock'] },
    }))
    .route('POST', '/tokens/verify', (request) => {
      const { token } = JSON.parse(request.body) as { token: string };
      return token === 'good'
        ? { json: { active: true, sub: '42', exp: 2_000_000_000 } }
        : { json: { active: false } };
    });
  return auth;
}

describe('AuthServiceClient', () => {
  it('gets user info with the token forwarded, validated by its schema', async () => {
    const auth = await authService();
    const client = new AuthServiceClient({ registry: registryWith([auth]), cache: false });
    expect(await client.getUserInfo(42, 'tok')).toEqual(USER);
    expect(auth.requests[0]?.headers['authorization']).toBe('Bearer tok');
    const missing = await failureOf(client.getUserInfo(7, 'tok'));
    expect(missing).toMatchObject({ code: 'HTTP_ERROR', status: 404 });
  });

  it('validates permissions', async () => {
    const auth = await authService();
    const client = new AuthServiceClient({ registry: registryWith([auth]) });
    expect(await client.validatePermissions(42, 'manage_stock', 'tok')).toBe(true);
    expect(await client.validatePermissions(42, 'delete_everything', 'tok')).toBe(false);
  });

  it('verifies tokens through the auth service (RFC 7662 shape)', async () => {
    const auth = await authService();
    const client = new AuthServiceClient({ registry: registryWith([auth]) });
    expect(await client.verifyToken('good')).toMatchObject({ active: true, sub: '42' });
    expect(await client.verifyToken('bad')).toEqual({ active: false });
  });

  it('caches user info per token, bounded and expiring', async () => {
    const auth = await authService();
    const client = new AuthServiceClient({
      registry: registryWith([auth]),
      cache: { ttlMs: 60_000, maxEntries: 10 },
    });
    const alice = jwt('alice');
    await client.getUserInfo(42, alice);
    await client.getUserInfo(42, alice);
    expect(auth.requestsTo('GET', '/users/:id')).toHaveLength(1);
    // Another caller, even one claiming the same subject, never reads alice's entry.
    await client.getUserInfo(42, `${alice}x`);
    await client.getUserInfo(42, jwt('bob'));
    expect(auth.requestsTo('GET', '/users/:id')).toHaveLength(3);
    client.clearCache();
    await client.getUserInfo(42, alice);
    expect(auth.requestsTo('GET', '/users/:id')).toHaveLength(4);
  });

  it('uses configurable paths and service name', async () => {
    const identity = await testService('identity');
    identity.route('GET', '/v2/accounts/:id', { json: USER });
    const client = new AuthServiceClient({
      registry: registryWith([identity]),
      service: 'identity',
      paths: { user: '/v2/accounts/:id' },
    });
    expect(await client.getUserInfo(42, 'tok')).toEqual(USER);
  });

  it('trusts active: true only with an unexpired exp, and the issuer and audience it was given', async () => {
    const auth = await testService('auth');
    const nowS = Math.floor(Date.now() / 1_000);
    const answers: Record<string, object> = {
      ok: { active: true, sub: '1', exp: nowS + 60, iss: 'auth', aud: ['api', 'other'] },
      'no-exp': { active: true, sub: '1', iss: 'auth', aud: 'api' },
      'expired-long-ago': { active: true, sub: '1', exp: nowS - 120, iss: 'auth', aud: 'api' },
      'expired-within-tolerance': {
        active: true,
        sub: '1',
        exp: nowS - 5,
        iss: 'auth',
        aud: 'api',
      },
      'wrong-issuer': { active: true, sub: '1', exp: nowS + 60, iss: 'evil', aud: 'api' },
      'no-issuer': { active: true, sub: '1', exp: nowS + 60, aud: 'api' },
      'wrong-audience': { active: true, sub: '1', exp: nowS + 60, iss: 'auth', aud: 'else' },
      'no-audience': { active: true, sub: '1', exp: nowS + 60, iss: 'auth' },
    };
    auth.route('POST', '/tokens/verify', (request) => {
      const { token } = JSON.parse(request.body) as { token: string };
      return { json: answers[token] ?? { active: false } };
    });
    const strict = new AuthServiceClient({
      registry: registryWith([auth]),
      introspection: { issuer: 'auth', audience: 'api', clockToleranceMs: 30_000 },
    });
    const activeOf = async (token: string) => (await strict.verifyToken(token)).active;
    expect(await activeOf('ok')).toBe(true);
    expect(await activeOf('expired-within-tolerance')).toBe(true);
    for (const token of Object.keys(answers).filter((name) => !/^(ok|expired-within)/.test(name))) {
      expect({ token, active: await activeOf(token) }).toEqual({ token, active: false });
    }
    // Without issuer and audience configured, only exp is required.
    const lenient = new AuthServiceClient({
      registry: registryWith([auth]),
      introspection: { clockToleranceMs: 0 },
    });
    expect((await lenient.verifyToken('wrong-audience')).active).toBe(true);
    expect((await lenient.verifyToken('no-exp')).active).toBe(false);
    expect((await lenient.verifyToken('expired-within-tolerance')).active).toBe(false);
    expect(
      () =>
        new AuthServiceClient({ registry: registryWith([auth]), introspection: { issuer: '' } }),
    ).toThrow(/introspection\.issuer/);
  });

  it('rejects a response that is not a user', async () => {
    const auth = await testService('auth');
    auth.route('GET', '/users/:id', { json: { id: 'x' } });
    const client = new AuthServiceClient({ registry: registryWith([auth]) });
    expect(
      isSwitchboardError(await failureOf(client.getUserInfo(1, 't')), 'RESPONSE_VALIDATION'),
    ).toBe(true);
  });
});
