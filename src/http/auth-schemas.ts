import { z } from 'zod';

/** A user as the auth service describes it (`GET /users/:id`); extra fields are dropped. */
export const UserInfoSchema = z.object({
  id: z.number().int(),
  email: z.string(),
  username: z.string(),
  fullName: z.string().nullish(),
  isActive: z.boolean().optional(),
  roles: z.array(z.string()).optional(),
});
export type UserInfo = z.infer<typeof UserInfoSchema>;

/** A user's permissions (`GET /users/:id/permissions`). */
export const UserPermissionsSchema = z.object({
  userId: z.number().int(),
  permissions: z.array(z.string()),
});
export type UserPermissions = z.infer<typeof UserPermissionsSchema>;

/**
 * The answer of `POST /tokens/verify`, shaped like OAuth 2.0 token
 * introspection (RFC 7662): `active` says whether the token is valid; the
 * claims come with it when it is.
 */
export const TokenIntrospectionSchema = z.discriminatedUnion('active', [
  z.object({ active: z.literal(false) }),
  z.looseObject({
    active: z.literal(true),
    sub: z.string(),
    exp: z.number().optional(),
    iat: z.number().optional(),
    permissions: z.array(z.string()).optional(),
  }),
]);
export type TokenIntrospection = z.infer<typeof TokenIntrospectionSchema>;
