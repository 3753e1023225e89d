import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  isSwitchboardError,
  type AuthServiceClient,
  type EventPublisher,
  type Logger,
} from 'switchboard';
import { requestCorrelation } from '../shared/correlation.js';
import { unavailability } from '../shared/dependency-error.js';
import { sendError, sendUnavailable } from '../shared/replies.js';
import { bearerToken } from '../shared/bearer.js';
import type { Product, ProductStore } from './product-store.js';
import type { ProductView } from './schemas.js';
import type { TokenVerifier } from './token-verifier.js';

/** What the product service's routes share. */
export type ProductContext = {
  readonly store: ProductStore;
  readonly auth: AuthServiceClient;
  readonly verifier: TokenVerifier;
  readonly publisher: EventPublisher;
  readonly logger: Logger;
};

/** The authenticated user of a request. */
export type Caller = { readonly userId: number; readonly token: string };

/**
 * The user behind the request's bearer token, verified locally against the
 * auth service's JWKS. Answers 401 for a missing or bad token, 503 when the
 * keys cannot be fetched; resolves to undefined after answering.
 */
export async function authenticate(
  context: ProductContext,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<Caller | undefined> {
  const token = bearerToken(request);
  if (token === undefined) {
    void sendError(request, reply, 401, 'unauthorized', 'a bearer token is required');
    return undefined;
  }
  const check = await context.verifier.verify(token);
  if (check.ok) return { userId: check.userId, token };
  if ('invalid' in check) {
    void sendError(request, reply, 401, 'unauthorized', check.invalid);
  } else {
    void sendUnavailable(
      request,
      reply,
      'auth',
      check.unavailable,
      'cannot verify the token: the auth service is unavailable',
    );
  }
  return undefined;
}

/**
 * Whether the caller holds `permission`, asked of the auth service (fresh:
 * a role granted or revoked a minute ago counts). Answers 403 when not, and
 * 503 when the auth service cannot answer: a write that needs the check is
 * refused rather than allowed unchecked.
 */
export async function requirePermission(
  context: ProductContext,
  request: FastifyRequest,
  reply: FastifyReply,
  caller: Caller,
  permission: string,
): Promise<boolean> {
  let allowed: boolean;
  try {
    allowed = await context.auth.validatePermissions(caller.userId, permission, caller.token);
  } catch (error) {
    const cause = unavailability(error);
    if (cause !== undefined) {
      context.logger.warn({ permission, reason: cause.reason }, 'permission check unavailable');
      void sendUnavailable(
        request,
        reply,
        'auth',
        cause,
        `cannot check the ${permission} permission: the auth service is unavailable`,
      );
      return false;
    }
    if (isSwitchboardError(error, 'HTTP_ERROR') && error.status < 500) {
      void sendError(
        request,
        reply,
        403,
        'forbidden',
        `the auth service refused the check (${error.status})`,
      );
      return false;
    }
    throw error;
  }
  if (!allowed) {
    void sendError(request, reply, 403, 'forbidden', `the ${permission} permission is required`);
  }
  return allowed;
}

/**
 * The product with its creator's profile from the auth service, or, when the
 * auth service cannot give it, without: a read degrades instead of failing.
 */
export async function productView(
  context: ProductContext,
  request: FastifyRequest,
  product: Product,
  token: string,
): Promise<ProductView> {
  const base = { ...product, correlationId: requestCorrelation(request).correlationId };
  try {
    const user = await context.auth.getUserInfo(product.createdBy, token);
    return {
      ...base,
      creator: { id: user.id, username: user.username, fullName: user.fullName ?? null },
      enrichment: 'complete',
    };
  } catch (error) {
    const cause = unavailability(error);
    const reason =
      cause?.reason ??
      (isSwitchboardError(error, 'HTTP_ERROR') ? `HTTP_ERROR ${error.status}` : undefined);
    if (reason === undefined) throw error;
    context.logger.warn(
      { productId: product.id, reason },
      'creator info unavailable: degraded read',
    );
    return { ...base, creator: null, enrichment: 'unavailable', degradedReason: reason };
  }
}
