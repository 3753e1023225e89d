import { createHash } from 'node:crypto';
import { integerOption, nameOption, numberOption } from '../internal/options.js';
import { TtlCache } from '../internal/ttl-cache.js';
import {
  TokenIntrospectionSchema,
  UserInfoSchema,
  UserPermissionsSchema,
  type TokenIntrospection,
  type UserInfo,
} from './auth-schemas.js';
import { ServiceClient } from './service-client.js';
import type { ServiceClientOptions } from './service-client-options.js';

/** Paths of the auth service's endpoints; `:id` is replaced by the user id. */
export type AuthServicePaths = {
  /** @default '/users/:id' */
  readonly user?: string;
  /** @default '/users/:id/permissions' */
  readonly permissions?: string;
  /** @default '/tokens/verify' */
  readonly verify?: string;
};

/**
 * What `verifyToken` checks in an introspection answer before it trusts
 * `active: true`. The auth service verifies the signature; these guard
 * against an answer for a token this service must not accept anyway.
 */
export type IntrospectionChecks = {
  /** The `iss` an active token must carry; unchecked when absent. */
  readonly issuer?: string;
  /** An `aud` an active token must carry (a string, or one of a list); unchecked when absent. */
  readonly audience?: string;
  /**
   * How far the auth service's clock may be ahead of ours: a token whose
   * `exp` is older than this is inactive.
   * @default 30_000
   */
  readonly clockToleranceMs?: number;
};

/** Options of {@link AuthServiceClient}: those of a `ServiceClient`, and more. */
export type AuthServiceClientOptions = ServiceClientOptions & {
  /** The auth service's name in the registry. @default 'auth' */
  readonly service?: string;
  readonly paths?: AuthServicePaths;
  /**
   * Caches `getUserInfo` answers in this process, per token (one caller never
   * sees another's cached view); `false` turns it off.
   * @default { ttlMs: 30_000, maxEntries: 1_000 }
   */
  readonly cache?: false | { readonly ttlMs?: number; readonly maxEntries?: number };
  /**
   * Checks on `verifyToken`'s answers: an active token must have an `exp`
   * (a token that never expires is not accepted) not further in the past
   * than `clockToleranceMs`, and the `issuer` and `audience` given here.
   * @default { clockToleranceMs: 30_000 }
   */
  readonly introspection?: IntrospectionChecks;
};

type CallOptions = { readonly signal?: AbortSignal };

/**
 * The auth service's client from the seed: user info, permission checks and
 * token verification, each validated by a zod schema, through a
 * {@link ServiceClient} (breaker, retries, deadline, correlation).
 *
 * @example
 * import { AuthServiceClient, ServiceRegistry } from 'switchboard';
 * const registry = ServiceRegistry.fromConfig({ auth: 'http://127.0.0.1:8001/api/v1' });
 * const auth = new AuthServiceClient({ registry });
 * const allowed = await auth.validatePermissions(123, 'manage_stock', token);
 */
export class AuthServiceClient {
  readonly client: ServiceClient;
  readonly #paths: Required<AuthServicePaths>;
  readonly #cache: TtlCache<UserInfo> | undefined;
  readonly #checks: Required<Omit<IntrospectionChecks, 'issuer' | 'audience'>> &
    Pick<IntrospectionChecks, 'issuer' | 'audience'>;

  constructor(options: AuthServiceClientOptions) {
    const {
      service = 'auth',
      paths = {},
      cache = {},
      introspection = {},
      ...clientOptions
    } = options;
    this.#checks = {
      clockToleranceMs: numberOption(
        'introspection.clockToleranceMs',
        introspection.clockToleranceMs ?? 30_000,
      ),
      ...(introspection.issuer === undefined
        ? {}
        : { issuer: nameOption('introspection.issuer', introspection.issuer) }),
      ...(introspection.audience === undefined
        ? {}
        : { audience: nameOption('introspection.audience', introspection.audience) }),
    };
    this.client = new ServiceClient(nameOption('service', service), clientOptions);
    this.#paths = {
      user: paths.user ?? '/users/:id',
      permissions: paths.permissions ?? '/users/:id/permissions',
      verify: paths.verify ?? '/tokens/verify',
    };
    this.#cache =
      cache === false
        ? undefined
        : new TtlCache(
            numberOption('cache.ttlMs', cache.ttlMs ?? 30_000, { min: 1 }),
            integerOption('cache.maxEntries', cache.maxEntries ?? 1_000),
          );
  }

  /** The user `userId`, as the caller holding `token` may see it. */
  async getUserInfo(
    userId: number | string,
    token: string,
    options: CallOptions = {},
  ): Promise<UserInfo> {
    const key = `${partitionOf(token)}:${String(userId)}`;
    const cached = this.#cache?.get(key);
    if (cached !== undefined) return cached;
    const user = await this.client.get(this.#path('user', userId), {
      token,
      schema: UserInfoSchema,
      ...options,
    });
    this.#cache?.set(key, user);
    return user;
  }

  /** Whether user `userId` holds `permission`. */
  async validatePermissions(
    userId: number | string,
    permission: string,
    token: string,
    options: CallOptions = {},
  ): Promise<boolean> {
    const { permissions } = await this.client.get(this.#path('permissions', userId), {
      token,
      schema: UserPermissionsSchema,
      ...options,
    });
    return permissions.includes(permission);
  }

  /**
   * Asks the auth service whether `token` is valid, and for its claims. An
   * answer `active: true` is turned into `{ active: false }` unless it has an
   * `exp` not older than `introspection.clockToleranceMs`, and the configured
   * `issuer` and `audience`.
   */
  async verifyToken(token: string, options: CallOptions = {}): Promise<TokenIntrospection> {
    const answer = await this.client.post(this.#paths.verify, {
      json: { token },
      schema: TokenIntrospectionSchema,
      // Verifying has no side effect: safe to retry, so it gets a key.
      idempotencyKey: true,
      ...options,
    });
    return answer.active && acceptable(answer, this.#checks) ? answer : { active: false };
  }

  /** Closes the underlying client's connections. Idempotent. */
  close(): Promise<void> {
    return this.client.close();
  }

  /** Drops every cached user. */
  clearCache(): void {
    this.#cache?.clear();
  }

  #path(which: 'user' | 'permissions', userId: number | string): string {
    return this.#paths[which].replace(':id', encodeURIComponent(String(userId)));
  }
}

// The cache partition of a token: a hash of the whole token, not its claimed
// subject. A subject read without verifying the signature could be forged to
// reach another caller's cached answers; a hash cannot.
function partitionOf(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

function acceptable(
  answer: TokenIntrospection & { readonly active: true },
  checks: IntrospectionChecks & { readonly clockToleranceMs: number },
): boolean {
  const { exp, iss, aud } = answer as { exp?: unknown; iss?: unknown; aud?: unknown };
  if (typeof exp !== 'number' || exp * 1_000 + checks.clockToleranceMs <= Date.now()) return false;
  if (checks.issuer !== undefined && iss !== checks.issuer) return false;
  if (checks.audience === undefined) return true;
  return Array.isArray(aud) ? aud.includes(checks.audience) : aud === checks.audience;
}
