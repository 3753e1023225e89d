import { randomBytes } from 'node:crypto';
import { ServiceRegistry, memoryTransport, type EventTransport } from 'switchboard';
import { createAuthService, type AuthService } from '../auth-service/auth-service.js';
import { createNotificationsService } from '../notifications-service/notifications-service.js';
import { createProductService } from '../product-service/product-service.js';
import { once } from '../shared/listen.js';
import type { BreakerEvent, DemoStack } from './demo-stack.js';

/** The breaker settings of the demo: short, so the scenario takes seconds. */
export const DEMO_BREAKER = { failureThreshold: 3, resetTimeoutMs: 1_000 } as const;

export type StackOptions = {
  /** Ports are base+1 (auth), base+2 (notifications), base+3 (product); 0: free ports. */
  readonly portBase: number;
  readonly host?: string;
};

export const port = (base: number, offset: number): number => (base === 0 ? 0 : base + offset);

/**
 * Starts auth, then notifications, then product in this process, sharing one
 * in-memory transport and one registry (health checks off: the demo shows the
 * breakers). The memory transport is the demo's by definition: one process.
 */
export async function startStack(options: StackOptions): Promise<DemoStack> {
  const host = options.host ?? '127.0.0.1';
  const transport: EventTransport = memoryTransport();
  const registry = new ServiceRegistry({ health: false, breaker: DEMO_BREAKER });
  const admin = { email: 'admin@example.com', password: randomBytes(9).toString('base64url') };
  const credentials = {
    clientId: 'notifications-service',
    clientSecret: randomBytes(18).toString('base64url'),
  };
  const started: { close(): Promise<void> }[] = [];
  let auth: AuthService | undefined;
  const authOptions = {
    host,
    transport,
    registry,
    admin,
    clients: { [credentials.clientId]: credentials.clientSecret },
  };
  try {
    let current = await createAuthService({ ...authOptions, port: port(options.portBase, 1) });
    auth = current;
    let authUp = true;
    const { breaker } = registry.register({
      id: 'auth-1',
      name: 'auth',
      baseUrl: current.baseUrl,
      healthPath: '/health',
    });
    const notifications = await createNotificationsService({
      host,
      port: port(options.portBase, 2),
      transport,
      registry,
      credentials,
    });
    started.push(notifications);
    registry.register({ id: 'notifications-1', name: 'notifications', baseUrl: notifications.url });
    const product = await createProductService({
      host,
      port: port(options.portBase, 3),
      transport,
      registry,
      // Off, so every read asks the auth service and the outage shows at once.
      userCacheTtlMs: 0,
    });
    started.push(product);
    registry.register({ id: 'product-1', name: 'product', baseUrl: product.url });

    return {
      title: 'three services in one process, events over the in-memory transport',
      details: [],
      urls: {
        auth: current.url,
        authApi: current.baseUrl,
        notifications: notifications.url,
        product: product.url,
      },
      admin,
      breaker: DEMO_BREAKER,
      onAuthBreaker(listener: (event: BreakerEvent) => void) {
        breaker.on('open', ({ retryAfterMs }) => {
          listener({ kind: 'open', breaker: breaker.name, retryAfterMs });
        });
        breaker.on('half-open', () => {
          listener({ kind: 'half-open', breaker: breaker.name });
        });
        breaker.on('close', () => {
          listener({ kind: 'close', breaker: breaker.name });
        });
      },
      async stopAuth() {
        authUp = false;
        await current.close();
        return `auth stopped (the registry still lists ${current.baseUrl})`;
      },
      async restartAuth() {
        current = await createAuthService({
          ...authOptions,
          port: current.port,
          store: current.store,
        });
        authUp = true;
        return `auth restarted on ${current.url} with the same users and signing key`;
      },
      close: once(async () => {
        await product.close();
        await notifications.close();
        if (authUp) await current.close();
        await registry.close();
        await transport.close();
      }),
    };
  } catch (error) {
    for (const service of started.reverse()) await service.close();
    await auth?.close();
    await registry.close();
    await transport.close();
    throw error;
  }
}
