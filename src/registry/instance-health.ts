import type { TypedEmitter } from '../internal/typed-emitter.js';
import { HealthMonitor, type HealthTarget } from './health-monitor.js';
import type { InstanceTable } from './instance-table.js';
import type { LiveInstance } from './live-instance.js';
import type { ServiceRegistryEvents } from './registry-events.js';
import type { RegistrySettings } from './registry-options.js';
import type { InstanceStatus } from './service-instance.js';

/**
 * Every status change of the registry's instances goes through here, whether
 * a health check, a call's outcome or a breaker decided it: one place emits
 * `health-changed` and logs it.
 */
export class InstanceHealth {
  readonly #table: InstanceTable;
  readonly #events: TypedEmitter<ServiceRegistryEvents>;
  readonly #settings: RegistrySettings;
  readonly #monitor: HealthMonitor | undefined;

  constructor(
    settings: RegistrySettings,
    table: InstanceTable,
    events: TypedEmitter<ServiceRegistryEvents>,
  ) {
    this.#settings = settings;
    this.#table = table;
    this.#events = events;
    this.#monitor =
      settings.health === undefined
        ? undefined
        : new HealthMonitor(
            settings.health,
            {
              targets: () => table.all().flatMap((instance) => healthTarget(instance) ?? []),
              target: (id) => healthTarget(table.get(id)),
              settle: (id, to, reason) => {
                const instance = table.get(id);
                if (instance !== undefined) this.set(instance, to, reason);
              },
            },
            settings.logger,
          );
  }

  /** Call after instances come or go (or change health path): arms or disarms the check timer. */
  changed(removed?: LiveInstance): void {
    if (removed !== undefined) this.#monitor?.forget(removed.id);
    this.#monitor?.sync();
  }

  /** Passive health; see `ServiceRegistry.report`. */
  report(instance: LiveInstance, outcome: 'success' | 'failure'): void {
    if (outcome === 'failure') this.suspect(instance, 'a call failed');
    else if (instance.status === 'suspect') this.set(instance, 'healthy', 'a call succeeded');
  }

  /** Makes a healthy instance suspect and, when it can be checked, checks it now. */
  suspect(instance: LiveInstance, reason: string): void {
    if (instance.status !== 'healthy') return;
    this.set(instance, 'suspect', reason);
    if (this.#checked(instance)) {
      this.#monitor?.checkNow(instance.id).catch((error: unknown) => {
        this.#settings.logger.error({ instance: instance.id, error }, 'health check crashed');
      });
    }
  }

  // Without this, an instance that nothing checks would never get a call again
  // after one failure while its peers are healthy.
  lapse(instances: readonly LiveInstance[]): void {
    const { suspectTimeoutMs } = this.#settings;
    const now = Date.now();
    for (const instance of instances) {
      if (
        instance.status === 'suspect' &&
        !this.#checked(instance) &&
        now - instance.statusSince >= suspectTimeoutMs
      ) {
        this.set(instance, 'healthy', `suspect for ${suspectTimeoutMs} ms with no health check`);
      }
    }
  }

  checkNow(id?: string): Promise<void> {
    return this.#monitor?.checkNow(id) ?? Promise.resolve();
  }

  close(): Promise<void> {
    return this.#monitor?.close() ?? Promise.resolve();
  }

  set(instance: LiveInstance, to: InstanceStatus, reason: string): void {
    const from = instance.status;
    if (from === to || !this.#table.holds(instance)) return;
    instance.setStatus(to);
    // A fresh start: failed checks before a passive recovery do not count towards the next outage.
    if (to === 'healthy') this.#monitor?.forget(instance.id);
    const { logger } = this.#settings;
    const context = { service: instance.name, instance: instance.id, from, to, reason };
    if (to === 'unhealthy') logger.warn(context, 'instance unhealthy');
    else if (from === 'unhealthy') logger.info(context, 'instance recovered');
    else logger.debug(context, 'instance health changed');
    this.#events.emit('health-changed', { instance, from, to, reason });
  }

  #checked(instance: LiveInstance): boolean {
    return this.#monitor !== undefined && instance.healthPath !== undefined;
  }
}

function healthTarget(instance: LiveInstance | undefined): HealthTarget | undefined {
  if (instance?.healthPath === undefined) return undefined;
  return { id: instance.id, url: instance.baseUrl + instance.healthPath, status: instance.status };
}
