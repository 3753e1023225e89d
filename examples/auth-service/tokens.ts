import { randomUUID } from 'node:crypto';
import { SignJWT, jwtVerify, type JWK, type JWTPayload } from 'jose';
import {
  CLIENT_SUBJECT_PREFIX,
  TOKEN_AUDIENCE,
  TOKEN_ISSUER,
  TOKEN_VERIFY_OPTIONS,
} from '../shared/token-contract.js';
import { permissionsOf, type SigningKey, type StoredUser } from './auth-store.js';

/** The claims of a verified access token. */
export type AccessClaims = JWTPayload & {
  readonly sub: string;
  readonly iat: number;
  readonly exp: number;
  /** Set on a service's token (client credentials), absent on a user's. */
  readonly client_id?: string;
};

/** Signs and verifies the auth service's access tokens (ES256 JWTs). */
export class Tokens {
  readonly #key: SigningKey;
  readonly ttlSeconds: number;

  constructor(key: SigningKey, ttlSeconds: number) {
    this.#key = key;
    this.ttlSeconds = ttlSeconds;
  }

  /** A user's access token; its permissions are a snapshot, for display only. */
  forUser(user: StoredUser): Promise<string> {
    return this.#sign(String(user.id), {
      email: user.email,
      username: user.username,
      roles: user.roles,
      permissions: permissionsOf(user),
    });
  }

  /** A service's access token (OAuth 2.0 client credentials). */
  forClient(clientId: string): Promise<string> {
    return this.#sign(`${CLIENT_SUBJECT_PREFIX}${clientId}`, { client_id: clientId });
  }

  /** The token's claims when it is ours, unexpired and well-formed; otherwise undefined. */
  async verify(token: string): Promise<AccessClaims | undefined> {
    try {
      const { payload } = await jwtVerify(token, this.#key.publicKey, {
        ...TOKEN_VERIFY_OPTIONS,
        requiredClaims: [...TOKEN_VERIFY_OPTIONS.requiredClaims],
        algorithms: [this.#key.alg],
      });
      const { sub, iat, exp } = payload;
      if (typeof sub !== 'string' || typeof iat !== 'number' || typeof exp !== 'number') {
        return undefined;
      }
      return { ...payload, sub, iat, exp };
    } catch {
      return undefined;
    }
  }

  /** The public keys, as served at `/.well-known/jwks.json`. */
  jwks(): { keys: JWK[] } {
    return {
      keys: [{ ...this.#key.publicJwk, kid: this.#key.kid, alg: this.#key.alg, use: 'sig' }],
    };
  }

  #sign(subject: string, claims: Record<string, unknown>): Promise<string> {
    return new SignJWT(claims)
      .setProtectedHeader({ alg: this.#key.alg, kid: this.#key.kid, typ: 'JWT' })
      .setSubject(subject)
      .setIssuer(TOKEN_ISSUER)
      .setAudience(TOKEN_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(`${this.ttlSeconds}s`)
      .setJti(randomUUID())
      .sign(this.#key.privateKey);
  }
}
