import { ErrorBodySchema, IdParams } from '../shared/schemas.js';
import { sendError } from '../shared/replies.js';
import type { ZodApp } from '../shared/http-app.js';
import { authenticate, callerOf, holds, publicUser, type AuthContext } from './auth-context.js';
import { TOKEN_AUDIENCE } from '../shared/token-contract.js';
import { permissionsOf } from './auth-store.js';
import { Introspection, Permissions, UpdateUserBody, User, VerifyBody } from './schemas.js';

const security = [{ bearer: [] }];

/** Users, their permissions, and token introspection: what AuthServiceClient calls. */
export function userRoutes(app: ZodApp, base: string, context: AuthContext): void {
  const { store, tokens, publisher } = context;

  app.get(
    `${base}/users/:id`,
    {
      schema: {
        tags: ['users'],
        summary: 'A user (any valid token: a user or a service)',
        security,
        params: IdParams,
        response: { 200: User, 401: ErrorBodySchema, 404: ErrorBodySchema },
      },
    },
    async (request, reply) => {
      if ((await authenticate(context, request, reply)) === undefined) return reply;
      const user = store.get(request.params.id);
      if (user === undefined) return sendError(request, reply, 404, 'not_found', 'no such user');
      return publicUser(user);
    },
  );

  app.patch(
    `${base}/users/:id`,
    {
      schema: {
        tags: ['users'],
        summary:
          'Update a user (self, or manage_users; roles need manage_users); publishes user.updated',
        security,
        params: IdParams,
        body: UpdateUserBody,
        response: { 200: User, 401: ErrorBodySchema, 403: ErrorBodySchema, 404: ErrorBodySchema },
      },
    },
    async (request, reply) => {
      const caller = await authenticate(context, request, reply);
      if (caller === undefined) return reply;
      const user = store.get(request.params.id);
      if (user === undefined) return sendError(request, reply, 404, 'not_found', 'no such user');
      const admin = holds(caller, 'manage_users');
      const self = caller.kind === 'user' && caller.user.id === user.id;
      const { username, fullName, roles } = request.body;
      if (!(self || admin) || (roles !== undefined && !admin)) {
        return sendError(request, reply, 403, 'forbidden', 'not allowed to change this user');
      }
      const changes: Record<string, unknown> = {};
      if (username !== undefined) changes['username'] = user.username = username;
      if (fullName !== undefined) changes['fullName'] = user.fullName = fullName;
      if (roles !== undefined) changes['roles'] = user.roles = [...new Set(roles)];
      await publisher.publishUserUpdated({ userId: user.id, changes });
      return publicUser(user);
    },
  );

  app.get(
    `${base}/users/:id/permissions`,
    {
      schema: {
        tags: ['users'],
        summary: "A user's current permissions (the user, a service, or manage_users)",
        security,
        params: IdParams,
        response: {
          200: Permissions,
          401: ErrorBodySchema,
          403: ErrorBodySchema,
          404: ErrorBodySchema,
        },
      },
    },
    async (request, reply) => {
      const caller = await authenticate(context, request, reply);
      if (caller === undefined) return reply;
      const { id } = request.params;
      const allowed =
        caller.kind === 'client' || caller.user.id === id || holds(caller, 'manage_users');
      if (!allowed) {
        return sendError(
          request,
          reply,
          403,
          'forbidden',
          "not allowed to read this user's permissions",
        );
      }
      const user = store.get(id);
      if (user === undefined) return sendError(request, reply, 404, 'not_found', 'no such user');
      return { userId: user.id, permissions: permissionsOf(user) };
    },
  );

  app.post(
    `${base}/tokens/verify`,
    {
      schema: {
        tags: ['tokens'],
        summary: 'Token introspection (RFC 7662): is the token active, and its claims',
        body: VerifyBody,
        response: { 200: Introspection },
      },
    },
    async (request) => {
      const claims = await tokens.verify(request.body.token);
      const caller = claims === undefined ? undefined : callerOf(store, claims);
      if (caller === undefined) return { active: false as const };
      const { sub, iss = '', exp, iat } = caller.claims;
      return {
        active: true as const,
        sub,
        iss,
        aud: TOKEN_AUDIENCE,
        exp,
        iat,
        token_type: 'access_token' as const,
        ...(caller.kind === 'client'
          ? { client_id: caller.clientId, permissions: [] }
          : { username: caller.user.username, permissions: permissionsOf(caller.user) }),
      };
    },
  );
}
