import { ServiceNotFoundError, ServiceUnavailableError } from '../errors.js';
import { raceAbort, throwIfAborted } from '../internal/abort.js';
import { invalidOption } from '../internal/options.js';
import { TypedEmitter, type Listener } from '../internal/typed-emitter.js';
import { CircuitBreaker } from '../resilience/circuit-breaker.js';
import { selectCandidates, type ResolveOptions } from './candidates.js';
import { InstanceHealth } from './instance-health.js';
import { instanceRecord } from './instance-record.js';
import { InstanceTable } from './instance-table.js';
import { LiveInstance } from './live-instance.js';
import { recordsFromConfig, recordsFromEnv, type ServiceConfig } from './registry-config.js';
import type { ServiceRegistryEvents } from './registry-events.js';
import {
  registrySettings,
  type RegistrySettings,
  type ServiceRegistryOptions,
} from './registry-options.js';
import type { ServiceResolver } from './service-resolver.js';
import type { InstanceRecord, InstanceRegistration, ServiceInstance } from './service-instance.js';
import { StoreSync } from './store-sync.js';

/**
 * Knows every instance of every service, how healthy each is, and picks one
 * per call. Each instance has its own {@link CircuitBreaker}, shared by every
 * client of the registry. Health comes from two sides: background checks of
 * instances that have a `healthPath` (on by default), and the outcomes clients
 * `report()`. With a `store`, local instances are announced to other processes
 * and theirs are mirrored here.
 *
 * After `close()` the registry still answers from what it holds, but runs no
 * background work and no longer talks to the store.
 *
 * @example
 * import { ServiceRegistry } from 'switchboard';
 * const registry = new ServiceRegistry({ health: { intervalMs: 10_000 } });
 * registry.register({ name: 'auth', baseUrl: 'http://127.0.0.1:8001/api/v1', healthPath: '/health' });
 * const instance = registry.resolve('auth');
 * await registry.close();
 */
export class ServiceRegistry implements ServiceResolver {
  readonly #settings: RegistrySettings;
  readonly #events = new TypedEmitter<ServiceRegistryEvents>();
  readonly #table = new InstanceTable();
  readonly #health: InstanceHealth;
  readonly #store: StoreSync | undefined;
  #closed: Promise<void> | undefined;

  /** @throws {TypeError | RangeError} at once, naming the option, when an option is invalid. */
  constructor(options: ServiceRegistryOptions = {}) {
    this.#settings = registrySettings(options);
    this.#health = new InstanceHealth(this.#settings, this.#table, this.#events);
    const { store, logger } = this.#settings;
    // Last: a store may call its watch listener at once, and that needs the fields above.
    this.#store =
      store === undefined
        ? undefined
        : new StoreSync(store, logger, {
            table: this.#table,
            checkHost: this.#settings.checkHost,
            add: (record) => this.#add(record, false),
            remove: (instance) => {
              this.#remove(instance);
            },
            updated: () => {
              this.#health.changed();
            },
            failed: (operation, instance, error) => {
              this.#events.emit(`${operation}-failed`, { instance, error });
            },
          });
  }

  /**
   * A registry holding a static service map: name → base URL, several base
   * URLs, or `{ baseUrl, healthPath }`. Everything is validated before the
   * registry is created.
   *
   * @throws {@link InvalidUrlError} for a bad base URL, naming its entry (`config.auth`).
   * @throws {@link HostNotAllowedError} for a host the options refuse.
   * @throws {TypeError | RangeError} for a bad service name, health path or option.
   * @example
   * import { ServiceRegistry } from 'switchboard';
   * const registry = ServiceRegistry.fromConfig({
   *   auth: 'http://127.0.0.1:8001/api/v1',
   *   product: ['http://10.0.0.1:8002', 'http://10.0.0.2:8002'],
   *   billing: { baseUrl: 'http://127.0.0.1:8003', healthPath: '/health' },
   * });
   */
  static fromConfig(config: ServiceConfig, options: ServiceRegistryOptions = {}): ServiceRegistry {
    return holding(recordsFromConfig(config), options);
  }

  /**
   * A registry holding the services named by environment variables:
   * `SWITCHBOARD_SERVICE_<NAME>_URL` (comma-separated for several instances)
   * and optionally `SWITCHBOARD_SERVICE_<NAME>_HEALTH_PATH`. `<NAME>` is upper
   * case with `_`; the service is named in lower case with `-`, so
   * `SWITCHBOARD_SERVICE_USER_PROFILE_URL` registers `user-profile`.
   *
   * @throws {@link InvalidUrlError} for a bad base URL, naming the variable.
   * @throws {@link HostNotAllowedError} for a host the options refuse.
   * @throws {RangeError} for an empty `_URL` variable or a `_HEALTH_PATH` without its `_URL`.
   * @example
   * import { ServiceRegistry } from 'switchboard';
   * // SWITCHBOARD_SERVICE_AUTH_URL=http://auth:8001/api/v1 SWITCHBOARD_SERVICE_AUTH_HEALTH_PATH=/health
   * const registry = ServiceRegistry.fromEnv();
   */
  static fromEnv(
    env: Readonly<Record<string, string | undefined>> = process.env,
    options: ServiceRegistryOptions = {},
  ): ServiceRegistry {
    return holding(recordsFromEnv(env), options);
  }

  /**
   * Adds an instance (healthy until proven otherwise) and, with a store,
   * announces it in the background (see {@link flush}).
   *
   * @throws {@link InvalidUrlError} when `baseUrl` is not an absolute http(s)
   * URL, or has credentials, a query or a fragment.
   * @throws {@link HostNotAllowedError} when its host is link-local or a cloud
   * metadata address (unless `allowLinkLocal`), or not in `allowedHosts`.
   * @throws {TypeError | RangeError} for a bad `name`, `healthPath`, `metadata`,
   * or an `id` already registered here.
   */
  register(registration: InstanceRegistration): ServiceInstance {
    const record = instanceRecord(registration);
    this.#settings.checkHost(record.baseUrl);
    const existing = this.#table.get(record.id);
    if (existing?.local === true) {
      invalidOption('id', `an instance with id "${record.id}" is already registered`);
    }
    // The store still lists our own id from before a restart: this process takes it back.
    if (existing !== undefined) this.#remove(existing);
    const instance = this.#add(record, true);
    this.#store?.announce(instance);
    return instance;
  }

  /** Removes an instance (and withdraws it from the store when local); false when unknown. */
  deregister(id: string): boolean {
    const instance = this.#table.get(id);
    if (instance === undefined) return false;
    this.#remove(instance);
    if (instance.local) this.#store?.withdraw(instance);
    return true;
  }

  /** The names of services with at least one instance, in registration order. */
  services(): string[] {
    return this.#table.services();
  }

  /** The instances of `name` (live views), in registration order; empty when unknown. */
  instances(name: string): ServiceInstance[] {
    return [...(this.#table.service(name) ?? [])];
  }

  /**
   * A usable instance of `name`, chosen by the balancer among the candidates
   * (see {@link ServiceRegistryOptions}): never `unhealthy`, `suspect` only when
   * no healthy one is left, open breakers ejected up to `maxEjectedPercent`.
   *
   * @throws {@link ServiceNotFoundError} when no instance of `name` is registered.
   * @throws {@link ServiceUnavailableError} when every instance is unhealthy.
   * @example
   * import { ServiceRegistry } from 'switchboard';
   * const registry = ServiceRegistry.fromConfig({ auth: ['http://10.0.0.1:8001', 'http://10.0.0.2:8001'] });
   * const first = registry.resolve('auth');
   * const retry = registry.resolve('auth', { exclude: new Set([first.id]) });
   */
  resolve(name: string, options: ResolveOptions = {}): ServiceInstance {
    const all = this.#table.service(name);
    if (all === undefined) throw new ServiceNotFoundError(name, this.services());
    this.#health.lapse(all);
    const selection = selectCandidates(all, this.#settings.maxEjectedPercent, options.exclude);
    if (selection.unavailable !== undefined) {
      throw new ServiceUnavailableError(name, selection.unavailable);
    }
    const candidates: readonly ServiceInstance[] = selection.candidates;
    if (candidates.length === 1) return candidates[0] as ServiceInstance;
    const picked = this.#settings.balancer.pick(candidates, name);
    if (!candidates.includes(picked)) {
      invalidOption('balancer', 'pick() must return one of the candidates it was given', TypeError);
    }
    return picked;
  }

  /**
   * Counts a call in flight to `instance` (the least-outstanding balancer
   * reads it); call the returned function when the call ends. Releasing twice
   * counts once.
   */
  track(instance: ServiceInstance): () => void {
    const live = instance instanceof LiveInstance ? instance : this.#table.get(instance.id);
    return live === undefined ? noop : live.track();
  }

  /**
   * Passive health: a failed call makes a healthy instance `suspect` (and
   * checks it at once when it has a health path); a successful call makes a
   * suspect instance healthy. Unknown ids are ignored (the instance may have
   * left mid-call).
   */
  report(id: string, outcome: 'success' | 'failure'): void {
    const instance = this.#table.get(id);
    if (instance !== undefined) this.#health.report(instance, outcome);
  }

  /**
   * Runs the health check of one instance, or of all, now; resolves when done.
   * A check already in flight is joined, not repeated. No-op with `health: false`.
   *
   * @throws {@link AbortError} when `signal` aborts first (the checks go on).
   */
  async checkNow(id?: string, options: { readonly signal?: AbortSignal } = {}): Promise<void> {
    throwIfAborted(options.signal);
    await unlessAborted(this.#health.checkNow(id), options.signal);
  }

  /**
   * Waits until every announcement and withdrawal sent to the store so far has
   * settled. Failures do not reject it: they are `announce-failed` /
   * `withdraw-failed` events (and warnings in the log).
   *
   * @throws {@link AbortError} when `signal` aborts first.
   */
  async flush(options: { readonly signal?: AbortSignal } = {}): Promise<void> {
    throwIfAborted(options.signal);
    await unlessAborted(this.#store?.flush(), options.signal);
  }

  /**
   * Subscribes to a registry event; returns the unsubscribe function.
   *
   * @example
   * import { ServiceRegistry } from 'switchboard';
   * const registry = new ServiceRegistry();
   * const off = registry.on('health-changed', ({ instance, from, to, reason }) =>
   *   console.warn(`${instance.id}: ${from} → ${to} (${reason})`),
   * );
   * off();
   */
  on<K extends keyof ServiceRegistryEvents>(
    name: K,
    listener: Listener<ServiceRegistryEvents[K]>,
  ): () => void {
    return this.#events.on(name, listener);
  }

  /**
   * Stops health checks (aborting those in flight), stops mirroring, and
   * closes the store (which withdraws this process's instances). Idempotent:
   * every call returns the same promise.
   */
  close(): Promise<void> {
    this.#closed ??= this.#shutdown();
    return this.#closed;
  }

  async #shutdown(): Promise<void> {
    try {
      await this.#health.close();
      await this.#store?.close();
    } finally {
      this.#events.clear();
    }
  }

  #add(record: InstanceRecord, local: boolean): LiveInstance {
    const breaker = new CircuitBreaker(`${record.name}@${record.baseUrl}`, this.#settings.breaker);
    const instance = new LiveInstance(record, breaker, local);
    this.#table.add(instance);
    // Never unsubscribed: once the instance is removed, its status changes are ignored,
    // and the breaker lives exactly as long as someone holds the instance.
    breaker.on('open', () => {
      this.#health.suspect(instance, 'its circuit opened');
    });
    this.#health.changed();
    this.#events.emit('registered', { instance });
    return instance;
  }

  #remove(instance: LiveInstance): void {
    this.#table.remove(instance);
    this.#health.changed(instance);
    this.#events.emit('deregistered', { instance });
  }
}

const noop = (): void => undefined;

// Records are validated before the registry exists: a bad entry leaves nothing to close.
function holding(
  records: readonly InstanceRecord[],
  options: ServiceRegistryOptions,
): ServiceRegistry {
  const checkHost = registrySettings(options).checkHost;
  for (const record of records) checkHost(record.baseUrl);
  const registry = new ServiceRegistry(options);
  for (const record of records) registry.register(record);
  return registry;
}

function unlessAborted(work: Promise<void> | undefined, signal?: AbortSignal): Promise<void> {
  if (work === undefined) return Promise.resolve();
  return signal === undefined ? work : raceAbort(work, signal);
}
