import { calculateJwkThumbprint, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';

/** The roles a user can hold, and what each allows. */
export const ROLE_PERMISSIONS = {
  customer: ['create_product'],
  staff: ['create_product', 'update_product', 'manage_stock'],
  admin: ['create_product', 'update_product', 'manage_stock', 'manage_users'],
} as const satisfies Record<string, readonly string[]>;
export type Role = keyof typeof ROLE_PERMISSIONS;
export const ROLES = Object.keys(ROLE_PERMISSIONS) as [Role, ...Role[]];

export type StoredUser = {
  readonly id: number;
  email: string;
  username: string;
  fullName: string | null;
  passwordHash: string;
  roles: Role[];
  isActive: boolean;
  readonly createdAt: string;
};

/** The signing key: private half for the auth service, public half in the JWKS. */
export type SigningKey = {
  readonly kid: string;
  readonly alg: 'ES256';
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  readonly publicJwk: JWK;
};

/**
 * The auth service's state: users and its signing key. In memory here; a real
 * auth service keeps users in a database and keys in a KMS. Passing the same
 * store to a restarted service (as the demo does) is what "the database
 * survived the restart" looks like.
 */
export class AuthStore {
  readonly key: SigningKey;
  readonly #users = new Map<number, StoredUser>();
  #nextId = 1;

  constructor(key: SigningKey) {
    this.key = key;
  }

  /** Adds a user; undefined when the email is taken. */
  add(user: Omit<StoredUser, 'id' | 'createdAt'>): StoredUser | undefined {
    if (this.byEmail(user.email) !== undefined) return undefined;
    const stored: StoredUser = {
      ...user,
      email: user.email.toLowerCase(),
      id: this.#nextId++,
      createdAt: new Date().toISOString(),
    };
    this.#users.set(stored.id, stored);
    return stored;
  }

  get(id: number): StoredUser | undefined {
    return this.#users.get(id);
  }

  byEmail(email: string): StoredUser | undefined {
    const wanted = email.toLowerCase();
    for (const user of this.#users.values()) if (user.email === wanted) return user;
    return undefined;
  }
}

/** The permissions a user's roles grant, sorted, without duplicates. */
export function permissionsOf(user: StoredUser): string[] {
  return [...new Set(user.roles.flatMap((role) => ROLE_PERMISSIONS[role]))].sort();
}

/** A store with a fresh ES256 key pair (generated at start, as the issue asks). */
export async function createAuthStore(): Promise<AuthStore> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  return new AuthStore({ kid, alg: 'ES256', privateKey, publicKey, publicJwk });
}
