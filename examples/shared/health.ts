import { z } from 'zod';
import type { EventBus, EventSubscriber, ServiceRegistry } from 'switchboard';
import type { ZodApp } from './http-app.js';

export type HealthOptions = {
  /** This service's name, reported by both endpoints. */
  readonly service: string;
  /** Where dependencies are resolved. */
  readonly registry: ServiceRegistry;
  /** Services this one calls, by registry name. */
  readonly dependencies: readonly string[];
  readonly bus: EventBus;
  readonly subscribers?: readonly EventSubscriber[];
  /** Extra paths the liveness check answers on (a base path's own `/health`). */
  readonly aliases?: readonly string[];
};

const Check = z.object({ ok: z.boolean(), detail: z.string() });
const Ready = z.object({
  status: z.enum(['ready', 'not_ready']),
  service: z.string(),
  checks: z.record(z.string(), Check),
});
type CheckResult = z.infer<typeof Check>;

/**
 * `GET /health`: liveness (the process answers). `GET /ready`: readiness,
 * 503 unless every dependency resolves through the registry to an instance
 * whose breaker is not open, the event bus is connected and every subscriber
 * is running.
 */
export function registerHealthRoutes(app: ZodApp, options: HealthOptions): void {
  const started = Date.now();
  for (const url of ['/health', ...(options.aliases ?? [])]) {
    app.get(
      url,
      {
        schema: {
          tags: ['health'],
          summary: 'Liveness',
          hide: url !== '/health',
          response: {
            200: z.object({ status: z.literal('ok'), service: z.string(), uptimeMs: z.number() }),
          },
        },
      },
      () => ({ status: 'ok' as const, service: options.service, uptimeMs: Date.now() - started }),
    );
  }
  app.get(
    '/ready',
    { schema: { tags: ['health'], summary: 'Readiness', response: { 200: Ready, 503: Ready } } },
    async (_request, reply) => {
      const checks: Record<string, CheckResult> = {};
      for (const name of options.dependencies) checks[name] = dependencyCheck(options, name);
      checks['events'] = await busCheck(options);
      const ready = Object.values(checks).every((check) => check.ok);
      return reply.code(ready ? 200 : 503).send({
        status: ready ? 'ready' : 'not_ready',
        service: options.service,
        checks,
      });
    },
  );
}

function dependencyCheck(options: HealthOptions, name: string): CheckResult {
  try {
    const instance = options.registry.resolve(name);
    const state = instance.breaker.state;
    return {
      ok: state !== 'open',
      detail: `${instance.baseUrl} (${instance.status}, breaker ${state})`,
    };
  } catch (error) {
    return { ok: false, detail: error instanceof Error ? error.message : String(error) };
  }
}

async function busCheck(options: HealthOptions): Promise<CheckResult> {
  const health = await options.bus.health();
  const stopped = (options.subscribers ?? []).filter((s) => !s.health().running).length;
  const ok = health.connected && !health.closed && stopped === 0;
  const detail =
    `${health.transport} transport ${health.connected ? 'connected' : 'disconnected'}` +
    (stopped > 0 ? `, ${stopped} subscriber(s) not running` : '') +
    (health.lastError === undefined ? '' : `, last error: ${health.lastError}`);
  return { ok, detail };
}
