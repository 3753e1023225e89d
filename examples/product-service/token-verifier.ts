import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import { isSwitchboardError, type ServiceRegistry } from 'switchboard';
import type { Unavailability } from '../shared/dependency-error.js';
import { JWKS_PATH, TOKEN_VERIFY_OPTIONS } from '../shared/token-contract.js';

/** The outcome of checking a request's token. */
export type TokenCheck =
  | { readonly ok: true; readonly userId: number; readonly claims: JWTPayload }
  | { readonly ok: false; readonly invalid: string }
  | { readonly ok: false; readonly unavailable: Unavailability };

type RemoteKeys = ReturnType<typeof createRemoteJWKSet>;

/**
 * Verifies access tokens locally, against the public keys the auth service
 * publishes at its JWKS URL: no call to the auth service per request, and
 * tokens still verify while it is down (jose caches the keys, and fetches
 * them again only for a key id it has not seen). The auth service is found
 * through the registry, like every other call.
 */
export class TokenVerifier {
  readonly #registry: ServiceRegistry;
  readonly #timeoutMs: number;
  readonly #keysByOrigin = new Map<string, RemoteKeys>();
  #last: RemoteKeys | undefined;

  constructor(registry: ServiceRegistry, options: { readonly timeoutMs?: number } = {}) {
    this.#registry = registry;
    this.#timeoutMs = options.timeoutMs ?? 1_000;
  }

  async verify(token: string): Promise<TokenCheck> {
    const keys = this.#currentKeys();
    if (!('get' in keys)) return { ok: false, unavailable: keys.unavailable };
    try {
      const { payload } = await jwtVerify(token, keys.get, {
        ...TOKEN_VERIFY_OPTIONS,
        algorithms: [...TOKEN_VERIFY_OPTIONS.algorithms],
        requiredClaims: [...TOKEN_VERIFY_OPTIONS.requiredClaims],
      });
      // Products are for people: a service's token (sub "client:…") is not enough.
      if (typeof payload.sub !== 'string' || !/^\d+$/.test(payload.sub)) {
        return { ok: false, invalid: 'a user token is required' };
      }
      return { ok: true, userId: Number(payload.sub), claims: payload };
    } catch (error) {
      if (error instanceof errors.JOSEError && !keysUnreachable(error)) {
        return {
          ok: false,
          invalid: error.code === 'ERR_JWT_EXPIRED' ? 'token expired' : 'invalid token',
        };
      }
      // The keys could not be fetched: the auth service is down and they were never cached.
      return { ok: false, unavailable: { reason: 'JWKS_UNREACHABLE', retryAfterMs: undefined } };
    }
  }

  // The keys of the auth instance the registry offers now. When it offers none
  // (every instance unhealthy, say), the last keys used: they still verify the
  // tokens they verified a minute ago, and the auth service being down is no
  // reason to refuse reads.
  #currentKeys(): { readonly get: RemoteKeys } | { readonly unavailable: Unavailability } {
    try {
      this.#last = this.#keysOf(new URL(this.#registry.resolve('auth').baseUrl).origin);
    } catch (error) {
      if (this.#last === undefined) {
        const reason = isSwitchboardError(error) ? error.code : 'UNKNOWN';
        return { unavailable: { reason, retryAfterMs: undefined } };
      }
    }
    return { get: this.#last };
  }

  #keysOf(origin: string): RemoteKeys {
    let keys = this.#keysByOrigin.get(origin);
    if (keys === undefined) {
      keys = createRemoteJWKSet(new URL(JWKS_PATH, origin), { timeoutDuration: this.#timeoutMs });
      this.#keysByOrigin.set(origin, keys);
    }
    return keys;
  }
}

// jose's own errors for a JWKS it could not get (as opposed to a bad token).
function keysUnreachable(error: errors.JOSEError): boolean {
  return error.code === 'ERR_JWKS_TIMEOUT' || error.code === 'ERR_JOSE_GENERIC';
}
