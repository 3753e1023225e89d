import { isIP } from 'node:net';
import { ErrorBodySchema } from '../shared/schemas.js';
import { sendError } from '../shared/replies.js';
import type { ZodApp } from '../shared/http-app.js';
import { JWKS_PATH } from '../shared/token-contract.js';
import { publicUser, sameSecret, type AuthContext } from './auth-context.js';
import { decoyHash, hashPassword, verifyPassword } from './passwords.js';
import {
  ClientTokenBody,
  ClientTokenResponse,
  Jwks,
  LoginBody,
  LoginResponse,
  RegisterBody,
  User,
} from './schemas.js';

/** Registration, login, client credentials and the JWKS. */
export function accountRoutes(app: ZodApp, base: string, context: AuthContext): void {
  const { store, tokens, publisher } = context;

  app.post(
    `${base}/auth/register`,
    {
      schema: {
        tags: ['accounts'],
        summary: 'Create an account (role customer); publishes user.created',
        body: RegisterBody,
        response: { 201: User, 409: ErrorBodySchema },
      },
    },
    async (request, reply) => {
      const { email, username, password, fullName } = request.body;
      if (store.byEmail(email) !== undefined) {
        return sendError(request, reply, 409, 'conflict', 'an account with this email exists');
      }
      const passwordHash = await hashPassword(password);
      const user = store.add({
        email,
        username,
        fullName: fullName ?? null,
        passwordHash,
        roles: ['customer'],
        isActive: true,
      });
      // Checked again: another registration may have taken the email while we hashed.
      if (user === undefined) {
        return sendError(request, reply, 409, 'conflict', 'an account with this email exists');
      }
      // After the write, in the request's correlation context. (A real service
      // would write the event to an outbox in the same transaction.)
      await publisher.publishUserCreated({
        userId: user.id,
        email: user.email,
        username: user.username,
      });
      return reply.code(201).send(publicUser(user));
    },
  );

  app.post(
    `${base}/auth/login`,
    {
      schema: {
        tags: ['accounts'],
        summary: 'Log in with email and password; publishes user.login',
        body: LoginBody,
        response: { 200: LoginResponse, 401: ErrorBodySchema },
      },
    },
    async (request, reply) => {
      const { email, password } = request.body;
      const user = store.byEmail(email);
      // An unknown email costs the same scrypt as a wrong password.
      const matches = await verifyPassword(password, user?.passwordHash ?? (await decoyHash()));
      if (user === undefined || !matches || !user.isActive) {
        return sendError(request, reply, 401, 'invalid_credentials', 'wrong email or password');
      }
      const accessToken = await tokens.forUser(user);
      const ip = request.ip.replace(/^::ffff:/, '');
      await publisher.publishUserLogin({
        userId: user.id,
        email: user.email,
        ...(isIP(ip) === 0 ? {} : { ip }),
      });
      return {
        accessToken,
        tokenType: 'Bearer' as const,
        expiresIn: tokens.ttlSeconds,
        user: publicUser(user),
      };
    },
  );

  app.post(
    `${base}/oauth/token`,
    {
      schema: {
        tags: ['accounts'],
        summary: "A service's access token (OAuth 2.0 client credentials, as JSON)",
        body: ClientTokenBody,
        response: { 200: ClientTokenResponse, 401: ErrorBodySchema },
      },
    },
    async (request, reply) => {
      const { client_id: clientId, client_secret: secret } = request.body;
      const expected = context.clients.get(clientId);
      // Compared even for an unknown client, so timing does not tell which ids exist.
      const matches = sameSecret(expected ?? '', secret) && expected !== undefined;
      if (!matches) {
        return sendError(request, reply, 401, 'invalid_client', 'unknown client or wrong secret');
      }
      return {
        access_token: await tokens.forClient(clientId),
        token_type: 'Bearer' as const,
        expires_in: tokens.ttlSeconds,
      };
    },
  );

  app.get(
    JWKS_PATH,
    {
      schema: {
        tags: ['accounts'],
        summary: 'Public keys of the access tokens',
        response: { 200: Jwks },
      },
    },
    async (_request, reply) => {
      void reply.header('cache-control', 'public, max-age=300');
      return tokens.jwks();
    },
  );
}
