// The auth service as a process: configuration from the environment only.
//   PORT (8001), HOST (127.0.0.1),
//   REDIS_URL (events over Redis Streams, under SWITCHBOARD_PREFIX, default "switchboard";
//   without it, events stay in this process),
//   AUTH_ADMIN_EMAIL + AUTH_ADMIN_PASSWORD (an administrator created at start),
//   AUTH_CLIENTS ("notifications-service:<secret>,…": services allowed client credentials),
//   AUTH_TOKEN_TTL_SECONDS (900),
//   AUTH_STATE_FILE (none): keep users and the signing key in this JSON file, so a restarted
//   process (the Redis demo kills it) still knows its users and the tokens it signed
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import { jsonLogger } from '../shared/logger.js';
import { registryFromEnv } from '../shared/registry.js';
import { portFromEnv, runService } from '../shared/run-service.js';
import { transportFromEnv } from '../shared/transport.js';
import { AUTH_DEFAULT_PORT, createAuthService } from './auth-service.js';
import { AuthStore, type SigningKey, type StoredUser } from './auth-store.js';

const env = process.env;
const logger = jsonLogger('auth-service');
const transport = transportFromEnv(env, logger);
const { registry, selfRegister } = registryFromEnv(env, logger);

const adminEmail = env['AUTH_ADMIN_EMAIL'];
const adminPassword = env['AUTH_ADMIN_PASSWORD'];
if (adminEmail === undefined || adminPassword === undefined) {
  logger.warn({}, 'no AUTH_ADMIN_EMAIL/AUTH_ADMIN_PASSWORD: nobody can grant roles');
}
const stateFile = env['AUTH_STATE_FILE'];

function parseClients(value: string): Record<string, string> {
  const clients: Record<string, string> = {};
  for (const entry of value.split(',')) {
    const at = entry.indexOf(':');
    if (at > 0) clients[entry.slice(0, at).trim()] = entry.slice(at + 1).trim();
  }
  return clients;
}

type State = { readonly privateJwk: JWK; readonly users: readonly StoredUser[] };

/**
 * The auth store, kept in a JSON file (mode 0600: it holds the private key):
 * written after every change before the request that made it is answered,
 * atomically (a temporary file renamed over it), so a process killed at any
 * moment leaves the last state whole; read back at start. A stand-in for a
 * database and a KMS, good for a demo only.
 */
class FileAuthStore extends AuthStore {
  readonly #path: string;
  readonly #privateJwk: JWK;
  readonly #users = new Map<number, StoredUser>();
  // Routes change users in place (`user.roles = …`): they get a view that saves on every write.
  readonly #views = new WeakMap<StoredUser, StoredUser>();

  private constructor(key: SigningKey, privateJwk: JWK, path: string) {
    super(key);
    this.#privateJwk = privateJwk;
    this.#path = path;
  }

  static async open(path: string): Promise<FileAuthStore> {
    let state: State | undefined;
    try {
      state = JSON.parse(readFileSync(path, 'utf8')) as State;
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'ENOENT') {
        throw new Error(`AUTH_STATE_FILE ${path} cannot be read`, { cause: error });
      }
    }
    const privateJwk =
      state?.privateJwk ??
      (await exportJWK((await generateKeyPair('ES256', { extractable: true })).privateKey));
    const store = new FileAuthStore(await signingKey(privateJwk), privateJwk, path);
    for (const user of state?.users ?? []) store.#restore(user);
    store.#save();
    return store;
  }

  override add(user: Omit<StoredUser, 'id' | 'createdAt'>): StoredUser | undefined {
    const added = super.add(user);
    if (added === undefined) return undefined;
    this.#users.set(added.id, added);
    this.#save();
    return this.#view(added);
  }

  override get(id: number): StoredUser | undefined {
    const user = super.get(id);
    return user === undefined ? undefined : this.#view(user);
  }

  override byEmail(email: string): StoredUser | undefined {
    const user = super.byEmail(email);
    return user === undefined ? undefined : this.#view(user);
  }

  // Users are never deleted, so adding them again in id order gives them their ids back.
  #restore(saved: StoredUser): void {
    const { id, createdAt, ...fields } = saved;
    const user = super.add(fields);
    if (user?.id !== id) throw new Error(`AUTH_STATE_FILE ${this.#path}: user ${id} does not load`);
    Object.assign(user, { createdAt });
    this.#users.set(id, user);
  }

  #view(user: StoredUser): StoredUser {
    let view = this.#views.get(user);
    if (view === undefined) {
      view = new Proxy(user, {
        set: (target, property, value) => {
          const done = Reflect.set(target, property, value);
          this.#save();
          return done;
        },
      });
      this.#views.set(user, view);
    }
    return view;
  }

  #save(): void {
    const state: State = { privateJwk: this.#privateJwk, users: [...this.#users.values()] };
    const temporary = `${this.#path}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(state), { mode: 0o600 });
    renameSync(temporary, this.#path);
  }
}

async function signingKey(privateJwk: JWK): Promise<SigningKey> {
  // The public half: the private JWK without its private part `d`.
  const { kty, crv, x, y } = privateJwk;
  if (kty !== 'EC' || crv === undefined || x === undefined || y === undefined) {
    throw new TypeError('AUTH_STATE_FILE: expected an EC P-256 key');
  }
  const publicJwk: JWK = { kty, crv, x, y };
  const privateKey = await importJWK(privateJwk, 'ES256');
  const publicKey = await importJWK(publicJwk, 'ES256');
  if (privateKey instanceof Uint8Array || publicKey instanceof Uint8Array) {
    throw new TypeError('AUTH_STATE_FILE: expected an EC P-256 key');
  }
  return {
    kid: await calculateJwkThumbprint(publicJwk),
    alg: 'ES256',
    privateKey,
    publicKey,
    publicJwk,
  };
}

// Last: the classes above are not hoisted.
await runService({
  name: 'auth-service',
  logger,
  start: async () =>
    createAuthService({
      port: portFromEnv(env, AUTH_DEFAULT_PORT),
      host: env['HOST'] ?? '127.0.0.1',
      transport,
      registry,
      selfRegister,
      logger,
      clients: parseClients(env['AUTH_CLIENTS'] ?? ''),
      tokenTtlSeconds: Number(env['AUTH_TOKEN_TTL_SECONDS'] ?? 900),
      ...(stateFile === undefined || stateFile === ''
        ? {}
        : { store: await FileAuthStore.open(stateFile) }),
      ...(adminEmail === undefined || adminPassword === undefined
        ? {}
        : { admin: { email: adminEmail, password: adminPassword } }),
    }),
  cleanup: async () => {
    await registry.close();
    await transport.close();
  },
});
