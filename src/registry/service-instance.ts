import type { CircuitBreaker } from '../resilience/circuit-breaker.js';

/**
 * How the registry rates an instance:
 * - `healthy`: takes calls;
 * - `suspect`: a recent call failed or its breaker opened; used only when no
 *   healthy instance is left, until a health check or a call succeeds;
 * - `unhealthy`: failed `unhealthyThreshold` health checks in a row; never used.
 */
export type InstanceStatus = 'healthy' | 'suspect' | 'unhealthy';

/** What `register()` takes. */
export type InstanceRegistration = {
  /** The service name, e.g. `'auth'`: letters, digits, `-`, `_` and `.`; several instances may share it. */
  readonly name: string;
  /** Absolute http(s) URL without credentials, e.g. `'http://127.0.0.1:8001/api/v1'`. */
  readonly baseUrl: string;
  /** Path under `baseUrl` for health checks, e.g. `'/health'`; no checks without one. */
  readonly healthPath?: string | undefined;
  /** Free-form string labels (zone, version); copied and frozen at registration. */
  readonly metadata?: Readonly<Record<string, string>> | undefined;
  /** A stable id, unique in the registry (and across processes sharing a store); generated when absent. */
  readonly id?: string | undefined;
};

/** The serialisable description of an instance, as stores share it between processes. */
export type InstanceRecord = {
  readonly id: string;
  readonly name: string;
  /** Normalised: no trailing slash, no credentials, query or fragment. */
  readonly baseUrl: string;
  // `| undefined` so a live instance can expose it as a getter under exactOptionalPropertyTypes.
  readonly healthPath?: string | undefined;
  readonly metadata: Readonly<Record<string, string>>;
};

/** A registered instance, as `resolve()` and `instances()` return it (a live view). */
export type ServiceInstance = InstanceRecord & {
  readonly status: InstanceStatus;
  /** Calls in flight to this instance (the least-outstanding balancer reads it). */
  readonly inFlight: number;
  /** The instance's own breaker, shared by every client of the registry. */
  readonly breaker: CircuitBreaker;
  /** True when registered in this process; false when discovered through a store. */
  readonly local: boolean;
};
