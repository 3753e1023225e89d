import { z } from 'zod';
import { ROLES } from './auth-store.js';

// The auth service's HTTP API. `GET /users/:id`, `GET /users/:id/permissions`
// and `POST /tokens/verify` answer exactly what switchboard's
// AuthServiceClient validates (UserInfoSchema, UserPermissionsSchema,
// TokenIntrospectionSchema); the tests check them against those schemas.

export const Role = z.enum(ROLES);

export const User = z.object({
  id: z.number().int(),
  email: z.string(),
  username: z.string(),
  fullName: z.string().nullable(),
  isActive: z.boolean(),
  roles: z.array(Role),
  createdAt: z.string(),
});

export const RegisterBody = z.object({
  email: z.email().max(254),
  username: z.string().regex(/^[a-z0-9_.-]{2,32}$/i, '2 to 32 letters, digits, "_", "." or "-"'),
  password: z.string().min(8).max(256),
  fullName: z.string().min(1).max(100).optional(),
});

export const LoginBody = z.object({ email: z.email(), password: z.string().min(1).max(256) });

export const LoginResponse = z.object({
  accessToken: z.string(),
  tokenType: z.literal('Bearer'),
  /** Seconds. */
  expiresIn: z.number().int(),
  user: User,
});

/** OAuth 2.0 client credentials grant (RFC 6749 §4.4), as JSON. */
export const ClientTokenBody = z.object({
  grant_type: z.literal('client_credentials'),
  client_id: z.string().min(1).max(100),
  client_secret: z.string().min(1).max(256),
});

export const ClientTokenResponse = z.object({
  access_token: z.string(),
  token_type: z.literal('Bearer'),
  expires_in: z.number().int(),
});

export const UpdateUserBody = z
  .object({
    username: RegisterBody.shape.username.optional(),
    fullName: z.string().min(1).max(100).nullable().optional(),
    /** Only with the `manage_users` permission. */
    roles: z.array(Role).min(1).optional(),
  })
  .refine((body) => Object.values(body).some((value) => value !== undefined), {
    message: 'nothing to update',
  });

export const Permissions = z.object({
  userId: z.number().int(),
  permissions: z.array(z.string()),
});

export const VerifyBody = z.object({ token: z.string().min(1).max(8_192) });

/** RFC 7662 token introspection. */
export const Introspection = z.discriminatedUnion('active', [
  z.object({ active: z.literal(false) }),
  z.object({
    active: z.literal(true),
    sub: z.string(),
    iss: z.string(),
    aud: z.string(),
    exp: z.number(),
    iat: z.number(),
    token_type: z.literal('access_token'),
    client_id: z.string().optional(),
    username: z.string().optional(),
    permissions: z.array(z.string()),
  }),
]);

export const Jwks = z.object({ keys: z.array(z.record(z.string(), z.unknown())) });
