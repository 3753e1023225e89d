import {
  AuthServiceClient,
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
import type { ProductContext } from './product-context.js';
import { productRoutes } from './product-routes.js';
import { ProductStore } from './product-store.js';
import { TokenVerifier } from './token-verifier.js';

export const PRODUCT_DEFAULT_PORT = 8003;

export type ProductServiceOptions = EventsOption & {
  /** @default 8003; 0 for a free port */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** Where the auth service is found (as `auth`). */
  readonly registry: ServiceRegistry;
  /** Register this instance in `registry` (as `product`) once listening. @default false */
  readonly selfRegister?: boolean;
  /**
   * How long the creator's profile is cached per token; 0 turns the cache off
   * (the demo does, so that every read shows what the auth service says).
   * @default 30_000
   */
  readonly userCacheTtlMs?: number;
  /** Each call to the auth service; the whole call, retries included, gets twice this. @default 1_000 */
  readonly authTimeoutMs?: number;
  /** @default silentLogger */
  readonly logger?: Logger;
};

/**
 * The product service: products in memory, tokens verified locally against
 * the auth service's JWKS, the creator's profile and permission checks through
 * switchboard's `AuthServiceClient` (breaker, retries, deadline, correlation),
 * and the `product.created`, `product.updated`, `product.stock_updated` events.
 * What it relies on from auth is declared in `examples/contracts/auth-contract.ts`
 * (`productAuthContract`, `productAuthKeysContract`); the auth service's tests
 * verify it.
 */
export async function createProductService(options: ProductServiceOptions): Promise<ServiceHandle> {
  const logger = options.logger ?? silentLogger;
  const { registry } = options;
  const timeoutMs = options.authTimeoutMs ?? 1_000;
  const cacheTtlMs = options.userCacheTtlMs ?? 30_000;
  const auth = new AuthServiceClient({
    registry,
    timeoutMs,
    deadlineMs: 2 * timeoutMs,
    // One quick retry (on another instance when there is one). An open breaker
    // is not waited out: a user is waiting, a fast 503 serves them better.
    retry: { retries: 1, baseDelayMs: 20, maxRetryAfterMs: 100 },
    cache: cacheTtlMs === 0 ? false : { ttlMs: cacheTtlMs },
    logger,
  });
  const { bus, owned } = busFor('product-service', options, logger);
  const context: ProductContext = {
    store: new ProductStore(),
    auth,
    verifier: new TokenVerifier(registry, { timeoutMs }),
    publisher: new EventPublisher(bus),
    logger,
  };

  const app = await createHttpApp({
    title: 'product-service',
    description: 'Products, with their creators from the auth service; JWTs verified locally.',
    logger,
  });
  registerHealthRoutes(app, { service: 'product', registry, dependencies: ['auth'], bus });
  productRoutes(app, context);

  const { url, port } = await listen(
    app,
    options.port ?? PRODUCT_DEFAULT_PORT,
    options.host ?? '127.0.0.1',
  );
  let instance: ServiceInstance | undefined;
  if (options.selfRegister === true) {
    instance = registry.register({ name: 'product', baseUrl: url, healthPath: '/health' });
  }
  return {
    url,
    port,
    close: once(async () => {
      if (instance !== undefined) registry.deregister(instance.id);
      await app.close();
      await auth.close();
      if (owned) await bus.close();
    }),
  };
}
