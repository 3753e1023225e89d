import { SignJWT, UnsecuredJWT, exportSPKI, generateKeyPair, type JWTPayload } from 'jose';
import { describe, expect, it } from 'vitest';
import { AuthServiceClient } from 'switchboard';
import type { AuthService } from '../../examples/auth-service/auth-service.js';
import type { ServiceHandle } from '../../examples/shared/listen.js';
import {
  TOKEN_AUDIENCE,
  TOKEN_CLOCK_TOLERANCE_SECONDS,
  TOKEN_ISSUER,
} from '../../examples/shared/token-contract.js';
import { call, closeAfter, signUp, startAuthAndProduct } from './helpers.js';

type Stack = {
  readonly auth: AuthService;
  readonly product: ServiceHandle;
  readonly client: AuthServiceClient;
  readonly userId: number;
};

async function setUp(): Promise<Stack> {
  const { registry: reg, auth, product } = await startAuthAndProduct();
  const client = closeAfter(
    new AuthServiceClient({
      registry: reg,
      cache: false,
      introspection: { issuer: TOKEN_ISSUER, audience: TOKEN_AUDIENCE },
    }),
  );
  const { id } = await signUp(auth, 'ada');
  return { auth, product, client, userId: id };
}

const now = (): number => Math.floor(Date.now() / 1_000);

type Forge = {
  readonly claims?: JWTPayload;
  readonly issuer?: string;
  readonly audience?: string;
  /** Seconds since the epoch; `null` leaves `exp` out. */
  readonly exp?: number | null;
};

/** A token signed with the auth service's own key, wrong only where `forge` says. */
function signed(stack: Stack, forge: Forge = {}): Promise<string> {
  const { key } = stack.auth.store;
  const jwt = new SignJWT(forge.claims ?? {})
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
    .setSubject(String(stack.userId))
    .setIssuer(forge.issuer ?? TOKEN_ISSUER)
    .setAudience(forge.audience ?? TOKEN_AUDIENCE)
    .setIssuedAt();
  if (forge.exp !== null) jwt.setExpirationTime(forge.exp ?? now() + 300);
  return jwt.sign(key.privateKey);
}

/** Every way a service must refuse a token, each otherwise valid. */
const FORGERIES: readonly (readonly [string, (stack: Stack) => Promise<string>])[] = [
  ['without exp', (stack) => signed(stack, { exp: null })],
  [
    `expired ${TOKEN_CLOCK_TOLERANCE_SECONDS + 60} s ago, beyond the clock tolerance`,
    (stack) => signed(stack, { exp: now() - TOKEN_CLOCK_TOLERANCE_SECONDS - 60 }),
  ],
  [
    'not valid before a time beyond the clock tolerance',
    (stack) => signed(stack, { claims: { nbf: now() + TOKEN_CLOCK_TOLERANCE_SECONDS + 60 } }),
  ],
  ['from another issuer', (stack) => signed(stack, { issuer: 'https://evil.test/' })],
  ['for another audience', (stack) => signed(stack, { audience: 'another-service' })],
  [
    'with alg none (unsigned)',
    (stack) =>
      Promise.resolve(
        new UnsecuredJWT({})
          .setSubject(String(stack.userId))
          .setIssuer(TOKEN_ISSUER)
          .setAudience(TOKEN_AUDIENCE)
          .setIssuedAt()
          .setExpirationTime('5m')
          .encode(),
      ),
  ],
  [
    'HS256-signed with the public key as the secret (algorithm confusion)',
    async (stack) => {
      const { key } = stack.auth.store;
      const secret = new TextEncoder().encode(await exportSPKI(key.publicKey));
      return new SignJWT({})
        .setProtectedHeader({ alg: 'HS256', kid: key.kid, typ: 'JWT' })
        .setSubject(String(stack.userId))
        .setIssuer(TOKEN_ISSUER)
        .setAudience(TOKEN_AUDIENCE)
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(secret);
    },
  ],
  [
    'ES256-signed by another key under the same key id',
    async (stack) => {
      const { privateKey } = await generateKeyPair('ES256');
      return new SignJWT({})
        .setProtectedHeader({ alg: 'ES256', kid: stack.auth.store.key.kid, typ: 'JWT' })
        .setSubject(String(stack.userId))
        .setIssuer(TOKEN_ISSUER)
        .setAudience(TOKEN_AUDIENCE)
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(privateKey);
    },
  ],
];

/** What each service says about `token`: auth's introspection and API, product's API. */
async function verdicts(stack: Stack, token: string) {
  const introspection = await stack.client.verifyToken(token);
  const user = await call('GET', `${stack.auth.baseUrl}/users/${stack.userId}`, { token });
  const product = await call('POST', `${stack.product.url}/products`, {
    token,
    json: { name: 'Pen', price: 2, category: 'stationery', stock: 1 },
  });
  return { active: introspection.active, auth: user.status, product: product.status };
}

describe('access tokens in the example services: algorithm, exp, issuer, audience, clock skew', () => {
  it('accepts a well-formed token, and one expired within the clock tolerance', async () => {
    const stack = await setUp();
    expect(await verdicts(stack, await signed(stack))).toEqual({
      active: true,
      auth: 200,
      product: 201,
    });
    const justExpired = await signed(stack, { exp: now() - 10 });
    expect(await verdicts(stack, justExpired)).toEqual({ active: true, auth: 200, product: 201 });
  });

  it.each(FORGERIES)('refuses a token %s everywhere', async (_name, forge) => {
    const stack = await setUp();
    expect(await verdicts(stack, await forge(stack))).toEqual({
      active: false,
      auth: 401,
      product: 401,
    });
  });
});
