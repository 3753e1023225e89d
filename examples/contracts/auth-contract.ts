import { z } from 'zod';
import {
  UserInfoSchema,
  UserPermissionsSchema,
  defineHttpContract,
  type HttpOperation,
} from 'switchboard';
import { JWKS_PATH } from '../shared/token-contract.js';

// What the auth service's consumers rely on, one contract per consumer, so
// the auth service knows who reads what. The consumers call through these
// declarations (or, for the product service, through switchboard's
// AuthServiceClient, which calls these routes with these schemas);
// tests/examples/auth-contracts.test.ts runs each one against the real auth
// service. Paths are under the auth service's API base (`/api/v1`), where the
// registry points `auth`.

/** A user's profile, as `AuthServiceClient.getUserInfo` reads it. */
const getUser = {
  method: 'GET',
  path: '/users/:id',
  response: UserInfoSchema,
} as const satisfies HttpOperation;

/** A user's current permissions, as `AuthServiceClient.validatePermissions` reads them. */
const getUserPermissions = {
  method: 'GET',
  path: '/users/:id/permissions',
  response: UserPermissionsSchema,
} as const satisfies HttpOperation;

/** A service's own access token (OAuth 2.0 client credentials, as JSON). */
const issueServiceToken = {
  method: 'POST',
  path: '/oauth/token',
  body: z.object({
    grant_type: z.literal('client_credentials'),
    client_id: z.string(),
    client_secret: z.string(),
  }),
  response: z.object({ access_token: z.string(), expires_in: z.number() }),
} as const satisfies HttpOperation;

/**
 * The product service's contract with auth: the creator's profile for reads,
 * and the permission checks for writes, both through `AuthServiceClient`.
 */
export const productAuthContract = defineHttpContract('auth', { getUser, getUserPermissions });

/**
 * The other half of the product service's reliance on auth: the public keys
 * it verifies access tokens with, locally (jose, ES256 only). Served at the
 * auth service's origin, not under `/api/v1`, so it is verified against the
 * origin.
 */
export const productAuthKeysContract = defineHttpContract('auth', {
  keys: {
    method: 'GET',
    path: JWKS_PATH,
    response: z.object({
      keys: z
        .array(
          z.looseObject({
            kty: z.literal('EC'),
            crv: z.literal('P-256'),
            x: z.string(),
            y: z.string(),
            // Tokens name their key, and jose picks the key by this id.
            kid: z.string(),
          }),
        )
        .min(1),
    }),
  },
});

/**
 * The notifications service's contract with auth: its own token, then the
 * profile of the user an event is about (through `AuthServiceClient`).
 */
export const notificationsAuthContract = defineHttpContract('auth', {
  issueServiceToken,
  getUser,
});
