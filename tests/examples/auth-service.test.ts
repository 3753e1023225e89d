import { createRemoteJWKSet, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { AuthServiceClient, UserEvents, UserInfoSchema, UserPermissionsSchema } from 'switchboard';
import { TOKEN_AUDIENCE, TOKEN_ISSUER } from '../../examples/shared/token-contract.js';
import {
  ADMIN,
  NOTIFIER,
  call,
  closeAfter,
  logIn,
  makeStaff,
  recordingBus,
  registry,
  signUp,
  startAuth,
} from './helpers.js';

async function setUp() {
  const bus = recordingBus();
  const reg = registry();
  const auth = await startAuth({ registry: reg, bus });
  const client = closeAfter(new AuthServiceClient({ registry: reg, cache: false }));
  return { bus, registry: reg, auth, client };
}

describe('auth service', () => {
  it('registers a user, never showing the password, and publishes user.created', async () => {
    const { auth, bus } = await setUp();
    const reply = await call('POST', `${auth.baseUrl}/auth/register`, {
      json: {
        email: 'Ada@Example.com',
        username: 'ada',
        password: 'correct horse',
        fullName: 'Ada',
      },
      correlationId: 'corr-register',
    });
    expect(reply.status).toBe(201);
    expect(reply.body).toMatchObject({
      email: 'ada@example.com',
      username: 'ada',
      roles: ['customer'],
    });
    expect(JSON.stringify(reply.body)).not.toMatch(/password|scrypt/i);
    expect(reply.headers.get('x-correlation-id')).toBe('corr-register');
    const event = bus.expectPublished(UserEvents.created, { userId: Number(reply.body['id']) });
    expect(event.correlationid).toBe('corr-register');
    expect(event.data.email).toBe('ada@example.com');

    const again = await call('POST', `${auth.baseUrl}/auth/register`, {
      json: { email: 'ada@example.com', username: 'ada2', password: 'another one' },
    });
    expect(again.status).toBe(409);
  });

  it('validates bodies with zod and answers 400 with the issues and a correlation id', async () => {
    const { auth } = await setUp();
    const reply = await call('POST', `${auth.baseUrl}/auth/register`, {
      json: { email: 'not an email', username: 'a', password: 'short' },
    });
    expect(reply.status).toBe(400);
    expect(reply.body['error']).toBe('bad_request');
    const paths = (reply.body['issues'] as { path: string }[]).map((issue) => issue.path).sort();
    expect(paths).toEqual(['/email', '/password', '/username']);
    expect(reply.body['correlationId']).toBe(reply.headers.get('x-correlation-id'));
  });

  it('logs in with the right password only, publishing user.login', async () => {
    const { auth, bus } = await setUp();
    const { id } = await signUp(auth, 'ada');
    const wrong = await call('POST', `${auth.baseUrl}/auth/login`, {
      json: { email: 'ada@example.com', password: 'wrong password' },
    });
    expect(wrong.status).toBe(401);
    const unknown = await call('POST', `${auth.baseUrl}/auth/login`, {
      json: { email: 'nobody@example.com', password: 'whatever' },
    });
    expect(unknown.status).toBe(401);
    expect(unknown.body['error']).toBe(wrong.body['error']);
    expect(bus.published(UserEvents.login).map((event) => event.data.userId)).toEqual([id]);
  });

  it('signs ES256 tokens that verify against its JWKS', async () => {
    const { auth } = await setUp();
    const { id, token } = await signUp(auth, 'ada');
    const keys = createRemoteJWKSet(new URL('/.well-known/jwks.json', auth.url));
    const { payload, protectedHeader } = await jwtVerify(token, keys, {
      issuer: TOKEN_ISSUER,
      audience: TOKEN_AUDIENCE,
    });
    expect(protectedHeader.alg).toBe('ES256');
    expect(payload.sub).toBe(String(id));
    expect(payload['permissions']).toEqual(['create_product']);
  });

  it('answers exactly what AuthServiceClient validates', async () => {
    const { auth, client } = await setUp();
    const { id, token } = await signUp(auth, 'ada');

    const user = await client.getUserInfo(id, token);
    expect(user).toMatchObject({
      id,
      username: 'ada',
      email: 'ada@example.com',
      roles: ['customer'],
    });
    const raw = await call('GET', `${auth.baseUrl}/users/${id}`, { token });
    expect(UserInfoSchema.safeParse(raw.body).success).toBe(true);
    const permissions = await call('GET', `${auth.baseUrl}/users/${id}/permissions`, { token });
    expect(UserPermissionsSchema.parse(permissions.body)).toEqual({
      userId: id,
      permissions: ['create_product'],
    });

    expect(await client.validatePermissions(id, 'manage_stock', token)).toBe(false);
    await makeStaff(auth, id);
    // The same token: permissions are looked up now, not read from the token.
    expect(await client.validatePermissions(id, 'manage_stock', token)).toBe(true);

    const introspection = await client.verifyToken(token);
    expect(introspection).toMatchObject({ active: true, sub: String(id) });
    expect(introspection.active && introspection.permissions).toContain('manage_stock');
    expect(await client.verifyToken('not.a.token')).toEqual({ active: false });
  });

  it('publishes user.updated when an admin grants a role, and refuses it to others', async () => {
    const { auth, bus } = await setUp();
    const ada = await signUp(auth, 'ada');
    const bob = await signUp(auth, 'bob');
    const refused = await call('PATCH', `${auth.baseUrl}/users/${ada.id}`, {
      token: bob.token,
      json: { roles: ['admin'] },
    });
    expect(refused.status).toBe(403);
    const selfPromotion = await call('PATCH', `${auth.baseUrl}/users/${ada.id}`, {
      token: ada.token,
      json: { roles: ['admin'] },
    });
    expect(selfPromotion.status).toBe(403);
    const renamed = await call('PATCH', `${auth.baseUrl}/users/${ada.id}`, {
      token: ada.token,
      json: { fullName: 'Ada King' },
      correlationId: 'corr-rename',
    });
    expect(renamed.status).toBe(200);
    await makeStaff(auth, ada.id);
    const updates = bus.published(UserEvents.updated);
    expect(updates.map((event) => event.data.changes)).toEqual([
      { fullName: 'Ada King' },
      { roles: ['staff'] },
    ]);
    expect(updates[0]?.correlationid).toBe('corr-rename');
  });

  it("keeps a user's permissions to the user, services and admins", async () => {
    const { auth } = await setUp();
    const ada = await signUp(auth, 'ada');
    const bob = await signUp(auth, 'bob');
    const other = await call('GET', `${auth.baseUrl}/users/${ada.id}/permissions`, {
      token: bob.token,
    });
    expect(other.status).toBe(403);
    const admin = await logIn(auth, ADMIN.email, ADMIN.password);
    const asAdmin = await call('GET', `${auth.baseUrl}/users/${ada.id}/permissions`, {
      token: admin,
    });
    expect(asAdmin.status).toBe(200);
    const anonymous = await call('GET', `${auth.baseUrl}/users/${ada.id}`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');
  });

  it('gives services a token for their client credentials, and only for the right secret', async () => {
    const { auth } = await setUp();
    const { id } = await signUp(auth, 'ada');
    const grant = { grant_type: 'client_credentials', client_id: NOTIFIER.clientId };
    const wrong = await call('POST', `${auth.baseUrl}/oauth/token`, {
      json: { ...grant, client_secret: 'guess' },
    });
    expect(wrong.status).toBe(401);
    const right = await call('POST', `${auth.baseUrl}/oauth/token`, {
      json: { ...grant, client_secret: NOTIFIER.clientSecret },
    });
    expect(right.status).toBe(200);
    const token = String(right.body['access_token']);
    const user = await call('GET', `${auth.baseUrl}/users/${id}`, { token });
    expect(user.status).toBe(200);
    expect(user.body['username']).toBe('ada');
  });

  it('serves liveness, readiness, and its OpenAPI document at /docs', async () => {
    const { auth } = await setUp();
    expect((await call('GET', `${auth.url}/health`)).status).toBe(200);
    // The registry's health checks go to the base URL's /health.
    expect((await call('GET', `${auth.baseUrl}/health`)).status).toBe(200);
    const ready = await call('GET', `${auth.url}/ready`);
    expect(ready.status).toBe(200);
    expect(ready.body['checks']).toMatchObject({ events: { ok: true } });
    const docs = await call('GET', `${auth.url}/docs/json`);
    expect(Object.keys(docs.body['paths'] as object)).toEqual(
      expect.arrayContaining([
        '/api/v1/auth/register',
        '/api/v1/auth/login',
        '/api/v1/users/{id}',
        '/api/v1/users/{id}/permissions',
        '/api/v1/tokens/verify',
        '/.well-known/jwks.json',
      ]),
    );
    const ui = await fetch(`${auth.url}/docs/`);
    expect(ui.status).toBe(200);
    expect(await ui.text()).toContain('swagger');
  });

  it("echoes the caller's correlation id and makes one up when there is none", async () => {
    const { auth } = await setUp();
    const given = await call('GET', `${auth.url}/health`, { correlationId: 'corr-given' });
    expect(given.headers.get('x-correlation-id')).toBe('corr-given');
    const made = await call('GET', `${auth.url}/nowhere`);
    expect(made.status).toBe(404);
    expect(made.headers.get('x-correlation-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(made.body['correlationId']).toBe(made.headers.get('x-correlation-id'));
  });

  it('leaves the registry on close when it registered itself', async () => {
    const bus = recordingBus();
    const reg = registry();
    const auth = await startAuth({ registry: reg, bus, selfRegister: true });
    expect(reg.instances('auth').map((instance) => instance.baseUrl)).toEqual([auth.baseUrl]);
    await auth.close();
    expect(reg.instances('auth')).toEqual([]);
  });
});
