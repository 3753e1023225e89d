import {
  EventPublisher,
  silentLogger,
  type Logger,
  type ServiceInstance,
  type ServiceRegistry,
} from 'switchboard';
import { busFor, type EventsOption } from '../shared/events.js';
import { registerHealthRoutes } from '../shared/health.js';
import { createHttpApp } from '../shared/http-app.js';
import { listen, once, type ServiceHandle } from '../shared/listen.js';
import { accountRoutes } from './account-routes.js';
import type { AuthContext } from './auth-context.js';
import { createAuthStore, type AuthStore } from './auth-store.js';
import { hashPassword } from './passwords.js';
import { Tokens } from './tokens.js';
import { userRoutes } from './user-routes.js';

/** The auth service's API lives under this path; the JWKS and health checks at the root. */
export const AUTH_BASE_PATH = '/api/v1';
export const AUTH_DEFAULT_PORT = 8001;

export type AuthServiceOptions = EventsOption & {
  /** @default 8001; 0 for a free port */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** Where this service would find others; with `selfRegister`, where it announces itself. */
  readonly registry: ServiceRegistry;
  /** Register this instance in `registry` once listening (and leave on close). @default false */
  readonly selfRegister?: boolean;
  /** Users and signing key; pass the same store to a restarted service to keep them. @default a new store */
  readonly store?: AuthStore;
  /** An administrator created at start when the email is not taken yet. */
  readonly admin?: { readonly email: string; readonly password: string };
  /** Services allowed the client credentials grant: client id → secret. */
  readonly clients?: Readonly<Record<string, string>>;
  /** @default 900 (15 minutes) */
  readonly tokenTtlSeconds?: number;
  /** @default silentLogger */
  readonly logger?: Logger;
};

export type AuthService = ServiceHandle & {
  /** `url` + {@link AUTH_BASE_PATH}: what the registry holds for `auth`. */
  readonly baseUrl: string;
  readonly store: AuthStore;
};

/**
 * The auth service: accounts (scrypt-hashed passwords), ES256 JWTs signed with
 * jose and their JWKS, users and permissions as switchboard's
 * `AuthServiceClient` expects them, token introspection, and the
 * `user.created`, `user.login`, `user.updated` events.
 */
export async function createAuthService(options: AuthServiceOptions): Promise<AuthService> {
  const logger = options.logger ?? silentLogger;
  const store = options.store ?? (await createAuthStore());
  if (options.admin !== undefined && store.byEmail(options.admin.email) === undefined) {
    store.add({
      email: options.admin.email,
      username: 'admin',
      fullName: 'Administrator',
      passwordHash: await hashPassword(options.admin.password),
      roles: ['admin'],
      isActive: true,
    });
  }
  const { bus, owned } = busFor('auth-service', options, logger);
  const context: AuthContext = {
    store,
    tokens: new Tokens(store.key, options.tokenTtlSeconds ?? 900),
    publisher: new EventPublisher(bus),
    clients: new Map(Object.entries(options.clients ?? {})),
    logger,
  };

  const app = await createHttpApp({
    title: 'auth-service',
    description: 'Accounts, JWTs (JWKS at /.well-known/jwks.json), users and permissions.',
    logger,
  });
  registerHealthRoutes(app, {
    service: 'auth',
    registry: options.registry,
    dependencies: [],
    bus,
    aliases: [`${AUTH_BASE_PATH}/health`],
  });
  accountRoutes(app, AUTH_BASE_PATH, context);
  userRoutes(app, AUTH_BASE_PATH, context);

  const { url, port } = await listen(
    app,
    options.port ?? AUTH_DEFAULT_PORT,
    options.host ?? '127.0.0.1',
  );
  const baseUrl = `${url}${AUTH_BASE_PATH}`;
  let instance: ServiceInstance | undefined;
  if (options.selfRegister === true) {
    instance = options.registry.register({ name: 'auth', baseUrl, healthPath: '/health' });
  }
  return {
    url,
    port,
    baseUrl,
    store,
    close: once(async () => {
      if (instance !== undefined) options.registry.deregister(instance.id);
      await app.close();
      if (owned) await bus.close();
    }),
  };
}
