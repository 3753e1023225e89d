import { silentLogger, type Logger } from '../logger.js';
import { INVALID_OPTION, invalidOption, numberOption } from '../internal/options.js';
import { CircuitBreaker, type CircuitBreakerOptions } from '../resilience/circuit-breaker.js';
import type { Balancer, BalancerName } from './balancers/balancer.js';
import { LeastOutstandingBalancer } from './balancers/least-outstanding.js';
import { RandomBalancer } from './balancers/random.js';
import { RoundRobinBalancer } from './balancers/round-robin.js';
import { healthSettings, type HealthMonitorOptions } from './health-monitor.js';
import { hostPolicy, type HostPolicy } from './host-policy.js';
import type { RegistryStore } from './registry-store.js';

/**
 * Options of `ServiceRegistry`; all optional.
 *
 * @example
 * import { ServiceRegistry } from 'switchboard';
 * const registry = new ServiceRegistry({
 *   balancer: 'least-outstanding',
 *   breaker: { failureThreshold: 5, resetTimeoutMs: 30_000 },
 *   health: { intervalMs: 5_000, timeoutMs: 1_000 },
 * });
 */
export type ServiceRegistryOptions = {
  /**
   * How `resolve()` chooses among usable instances: a built-in by name or your own.
   * @default 'round-robin'
   */
  readonly balancer?: BalancerName | Balancer;
  /**
   * The largest share of a service's instances (0–100) that open breakers may
   * take out of rotation at once; past it, the soonest to probe stay in. The
   * last usable instance is never ejected.
   * @default 50
   */
  readonly maxEjectedPercent?: number;
  /**
   * Options of each instance's breaker (named `<service>@<baseUrl>`). A
   * `strategy` object cannot be shared by many breakers, so it is not accepted here.
   * @default { failureThreshold: 5, resetTimeoutMs: 30_000 }
   */
  readonly breaker?: Omit<CircuitBreakerOptions, 'strategy'>;
  /**
   * Background health checks of instances that have a `healthPath`; `false`
   * turns them off (and makes `checkNow()` a no-op).
   * @default {} (on: every 10 s, 2 s timeout, 3 failures → unhealthy, 2 passes → healthy, 8 at once)
   */
  readonly health?: false | HealthMonitorOptions;
  /**
   * How long an instance that nothing health-checks stays `suspect` before it
   * is offered calls again (the next call's outcome then decides). Without
   * it, one failed call would starve such an instance for good.
   * @default 30_000
   */
  readonly suspectTimeoutMs?: number;
  /**
   * Shares instances with other processes (e.g. `redisRegistryStore`). The
   * registry owns it: `close()` closes it.
   */
  readonly store?: RegistryStore;
  /**
   * The only hosts base URLs may point at: exact names or addresses
   * (`'auth.internal.example'`, `'10.0.0.5'`, `'::1'`) or `'*.internal.example'`
   * (any host under that domain, not the domain itself). Compared with the
   * URL's host as the WHATWG URL parser writes it (lower case, punycode); no
   * DNS lookup is made. Applies to `register()`, `fromConfig`, `fromEnv` and
   * records from the `store` (a record outside the list is ignored, with a
   * warning). A host outside it is refused with a `HostNotAllowedError`.
   * @default undefined (any host but link-local and metadata addresses)
   */
  readonly allowedHosts?: readonly string[];
  /**
   * Accept link-local and cloud metadata hosts (`169.254.0.0/16`, `fe80::/10`,
   * `fd00:ec2::254`, `metadata.google.internal`), refused by default: that is
   * where clouds hand out instance credentials, and a registry entry there
   * would receive every caller's token. `allowedHosts` does not lift this.
   * @default false
   */
  readonly allowLinkLocal?: boolean;
  /**
   * Where the registry logs health changes and store failures (pino's shape).
   * @default a silent logger
   */
  readonly logger?: Logger;
};

/** The options after defaults and validation. */
export type RegistrySettings = {
  readonly balancer: Balancer;
  readonly maxEjectedPercent: number;
  readonly breaker: CircuitBreakerOptions;
  readonly health: ReturnType<typeof healthSettings> | undefined;
  readonly suspectTimeoutMs: number;
  readonly store: RegistryStore | undefined;
  /** Throws `HostNotAllowedError` for a base URL whose host the options refuse. */
  readonly checkHost: HostPolicy;
  readonly logger: Logger;
};

/** Applies defaults and validates every option, naming the bad one. */
export function registrySettings(options: ServiceRegistryOptions): RegistrySettings {
  const maxEjectedPercent = numberOption('maxEjectedPercent', options.maxEjectedPercent ?? 50);
  if (maxEjectedPercent > 100)
    invalidOption('maxEjectedPercent', `expected ≤ 100, got ${maxEjectedPercent}`);
  return {
    balancer: balancerFrom(options.balancer ?? 'round-robin'),
    maxEjectedPercent,
    breaker: breakerOptions(options.breaker ?? {}),
    health: options.health === false ? undefined : healthSettings(options.health ?? {}),
    suspectTimeoutMs: numberOption('suspectTimeoutMs', options.suspectTimeoutMs ?? 30_000),
    store: options.store === undefined ? undefined : checked('store', options.store, STORE),
    checkHost: hostPolicy(options),
    logger: options.logger === undefined ? silentLogger : checked('logger', options.logger, LOGGER),
  };
}

const STORE = ['announce', 'withdraw', 'watch', 'close'] as const;
const LOGGER = ['debug', 'info', 'warn', 'error'] as const;

function balancerFrom(option: BalancerName | Balancer): Balancer {
  switch (option) {
    case 'round-robin':
      return new RoundRobinBalancer();
    case 'random':
      return new RandomBalancer();
    case 'least-outstanding':
      return new LeastOutstandingBalancer();
    default:
      if (typeof option === 'string') {
        invalidOption(
          'balancer',
          `expected 'round-robin', 'random', 'least-outstanding' or an object with pick(), got ${JSON.stringify(option)}`,
        );
      }
      return checked('balancer', option, ['pick'] as const);
  }
}

// A throwaway breaker validates the options now, not at the first register();
// its errors are renamed `breaker.<option>` so they point at the right object.
function breakerOptions(options: Omit<CircuitBreakerOptions, 'strategy'>): CircuitBreakerOptions {
  if (typeof options !== 'object' || (options as unknown) === null) {
    invalidOption('breaker', 'expected an options object', TypeError);
  }
  if ('strategy' in options) {
    invalidOption(
      'breaker.strategy',
      'one strategy object cannot serve every instance; use failureThreshold or failureRate',
      TypeError,
    );
  }
  try {
    new CircuitBreaker('validation', options);
  } catch (error) {
    const { code, option, message } = error as {
      code?: unknown;
      option?: unknown;
      message: string;
    };
    if (code !== INVALID_OPTION || typeof option !== 'string') throw error;
    const detail = message.slice(message.indexOf(': ') + 2);
    invalidOption(`breaker.${option}`, detail, error instanceof TypeError ? TypeError : RangeError);
  }
  return options;
}

function checked<T extends object>(option: string, value: T, methods: readonly (keyof T)[]): T {
  if (typeof value !== 'object' || (value as unknown) === null) {
    invalidOption(option, `expected an object with ${methods.join('(), ')}()`, TypeError);
  }
  for (const method of methods) {
    if (typeof value[method] !== 'function') {
      invalidOption(`${option}.${String(method)}`, 'expected a function', TypeError);
    }
  }
  return value;
}
