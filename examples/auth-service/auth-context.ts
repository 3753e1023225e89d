import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { EventPublisher, Logger } from 'switchboard';
import { sendError } from '../shared/replies.js';
import { bearerToken } from '../shared/bearer.js';
import { CLIENT_SUBJECT_PREFIX } from '../shared/token-contract.js';
import { permissionsOf, type AuthStore, type StoredUser } from './auth-store.js';
import type { AccessClaims, Tokens } from './tokens.js';

/** What the auth service's routes share. */
export type AuthContext = {
  readonly store: AuthStore;
  readonly tokens: Tokens;
  readonly publisher: EventPublisher;
  /** Service clients allowed the client credentials grant: id → secret. */
  readonly clients: ReadonlyMap<string, string>;
  readonly logger: Logger;
};

/** Who is calling: a user (with the user's current record) or a service. */
export type Caller =
  | { readonly kind: 'user'; readonly user: StoredUser; readonly claims: AccessClaims }
  | { readonly kind: 'client'; readonly clientId: string; readonly claims: AccessClaims };

/**
 * The caller behind the request's bearer token; answers 401 (and resolves to
 * undefined) when there is none, it is invalid, or its user is gone or inactive.
 */
export async function authenticate(
  context: AuthContext,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<Caller | undefined> {
  const token = bearerToken(request);
  const claims = token === undefined ? undefined : await context.tokens.verify(token);
  const caller = claims === undefined ? undefined : callerOf(context.store, claims);
  if (caller === undefined) {
    void sendError(request, reply, 401, 'unauthorized', 'a valid bearer token is required');
  }
  return caller;
}

/** The caller a verified token stands for, if it still stands for one. */
export function callerOf(store: AuthStore, claims: AccessClaims): Caller | undefined {
  if (claims.sub.startsWith(CLIENT_SUBJECT_PREFIX)) {
    const clientId = claims.sub.slice(CLIENT_SUBJECT_PREFIX.length);
    return { kind: 'client', clientId, claims };
  }
  const user = /^\d+$/.test(claims.sub) ? store.get(Number(claims.sub)) : undefined;
  return user?.isActive === true ? { kind: 'user', user, claims } : undefined;
}

/** Whether the caller holds `permission` now (services hold none). */
export function holds(caller: Caller, permission: string): boolean {
  return caller.kind === 'user' && permissionsOf(caller.user).includes(permission);
}

/** Compares secrets in constant time, whatever their lengths. */
export function sameSecret(a: string, b: string): boolean {
  const digest = (value: string): Buffer => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(a), digest(b));
}

/** The user as the API shows it: no password hash. */
export function publicUser(user: StoredUser): {
  id: number;
  email: string;
  username: string;
  fullName: string | null;
  isActive: boolean;
  roles: StoredUser['roles'];
  createdAt: string;
} {
  const { id, email, username, fullName, isActive, roles, createdAt } = user;
  return { id, email, username, fullName, isActive, roles: [...roles], createdAt };
}
