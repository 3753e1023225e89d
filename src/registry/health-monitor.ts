import type { Logger } from '../logger.js';
import { integerOption, invalidOption, timerOption } from '../internal/options.js';
import { checkHealth } from './health-check.js';
import { healthTransition, type Streak } from './health-transition.js';
import type { InstanceStatus } from './service-instance.js';

/**
 * Options of the registry's background health checks
 * (`ServiceRegistryOptions.health`). Only instances registered with a
 * `healthPath` are checked: `GET baseUrl + healthPath`, any 2xx passes.
 *
 * @example
 * import { ServiceRegistry } from 'switchboard';
 * const registry = new ServiceRegistry({ health: { intervalMs: 5_000, unhealthyThreshold: 2 } });
 */
export type HealthMonitorOptions = {
  /**
   * Time between the end of one round of checks and the start of the next;
   * rounds never overlap.
   * @default 10_000
   */
  readonly intervalMs?: number;
  /**
   * Time limit of one check; a check that takes longer fails.
   * @default 2_000
   */
  readonly timeoutMs?: number;
  /**
   * Failed checks in a row that make an instance `unhealthy`.
   * @default 3
   */
  readonly unhealthyThreshold?: number;
  /**
   * Passed checks in a row that make an `unhealthy` instance healthy again
   * (a `suspect` one needs one).
   * @default 2
   */
  readonly healthyThreshold?: number;
  /**
   * Checks in flight at once, across all instances.
   * @default 8
   */
  readonly concurrency?: number;
};

/** What the monitor checks: an instance with a health path. */
export type HealthTarget = {
  readonly id: string;
  readonly url: string;
  readonly status: InstanceStatus;
};

/** The monitor's view of the registry. */
export type HealthHost = {
  targets(): readonly HealthTarget[];
  target(id: string): HealthTarget | undefined;
  /** Applies a status change decided by a check. */
  settle(id: string, to: InstanceStatus, reason: string): void;
};

type Settings = Required<HealthMonitorOptions>;

/** Validates `health` options eagerly, naming each as `health.<field>`. */
export function healthSettings(options: HealthMonitorOptions): Settings {
  if (typeof options !== 'object' || (options as unknown) === null) {
    invalidOption('health', 'expected false or an options object', TypeError);
  }
  // A delay over a timer's limit would fire at once: a typo would become a check storm.
  const ms = (field: 'intervalMs' | 'timeoutMs', fallback: number): number =>
    timerOption(`health.${field}`, options[field] ?? fallback);
  return {
    intervalMs: ms('intervalMs', 10_000),
    timeoutMs: ms('timeoutMs', 2_000),
    unhealthyThreshold: integerOption('health.unhealthyThreshold', options.unhealthyThreshold ?? 3),
    healthyThreshold: integerOption('health.healthyThreshold', options.healthyThreshold ?? 2),
    concurrency: integerOption('health.concurrency', options.concurrency ?? 8),
  };
}

/**
 * Runs the registry's active health checks: a round over every target each
 * `intervalMs` (timer unref'd, armed only while there is something to check),
 * at most `concurrency` checks at once, never two checks of one instance at
 * once (a second request joins the first).
 */
export class HealthMonitor {
  readonly #settings: Settings;
  readonly #host: HealthHost;
  readonly #logger: Logger;
  readonly #closing = new AbortController();
  readonly #checks = new Map<string, Promise<void>>();
  readonly #streaks = new Map<string, Streak>();
  readonly #waiting: (() => void)[] = [];
  #active = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #round: Promise<void> | undefined;

  constructor(settings: Settings, host: HealthHost, logger: Logger) {
    this.#settings = settings;
    this.#host = host;
    this.#logger = logger;
  }

  /** Arms the round timer when there are targets, disarms it when there are none. */
  sync(): void {
    if (this.#isClosed() || this.#round !== undefined) return;
    const idle = this.#host.targets().length === 0;
    if (idle) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    } else if (this.#timer === undefined) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#startRound();
      }, this.#settings.intervalMs);
      this.#timer.unref();
    }
  }

  /** Checks one instance, or every target, now; resolves when the checks are done. */
  async checkNow(id?: string): Promise<void> {
    const ids = id === undefined ? this.#host.targets().map((t) => t.id) : [id];
    await Promise.all(ids.map((target) => this.#check(target)));
  }

  /** Forgets an instance's check history (deregistered, or passively healthy again). */
  forget(id: string): void {
    this.#streaks.delete(id);
  }

  /** Stops the timer, aborts checks in flight and waits for them to finish. Idempotent. */
  async close(): Promise<void> {
    this.#closing.abort();
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const wake of this.#waiting.splice(0)) wake();
    await Promise.all(this.#checks.values());
  }

  // A method, not a getter: TypeScript would keep a getter's value narrowed across `await`.
  #isClosed(): boolean {
    return this.#closing.signal.aborted;
  }

  #startRound(): void {
    const round = this.checkNow().finally(() => {
      this.#round = undefined;
      this.sync();
    });
    this.#round = round;
  }

  #check(id: string): Promise<void> {
    const running = this.#checks.get(id);
    if (running !== undefined) return running;
    const check = this.#limited(() => this.#run(id)).finally(() => {
      this.#checks.delete(id);
    });
    this.#checks.set(id, check);
    return check;
  }

  async #run(id: string): Promise<void> {
    const target = this.#host.target(id);
    if (target === undefined || this.#isClosed()) return;
    const failure = await checkHealth(target.url, this.#settings.timeoutMs, this.#closing.signal);
    // Closed mid-check, or deregistered: the result is nobody's business.
    const current = this.#host.target(id);
    if (this.#isClosed() || current === undefined) return;
    const streak = this.#streaks.get(id) ?? { passes: 0, failures: 0 };
    this.#streaks.set(id, streak);
    if (failure === undefined) {
      streak.passes += 1;
      streak.failures = 0;
    } else {
      streak.failures += 1;
      streak.passes = 0;
      this.#logger.debug({ instance: id, url: target.url, failure }, 'health check failed');
    }
    const change = healthTransition(current.status, streak, failure, this.#settings);
    if (change !== undefined) this.#host.settle(id, change.to, change.reason);
  }

  // A counting semaphore: a finished check hands its slot straight to the next waiter.
  async #limited(task: () => Promise<void>): Promise<void> {
    if (this.#active < this.#settings.concurrency) this.#active += 1;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    try {
      await task();
    } finally {
      const next = this.#waiting.shift();
      if (next === undefined) this.#active -= 1;
      else next();
    }
  }
}
