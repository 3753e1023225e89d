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
  /** The service name, e.g. `'auth'`; several instances may share it. */
  readonly name: string;
  /** Absolute http(s) URL without credentials, e.g. `'http://127.0.0.1:8001/api/v1'`. */
  readonly baseUrl: string;
  /** Path under `baseUrl` for health checks, e.g. `'/health'`; no checks without one. */
  readonly healthPath?: string;
  readonly metadata?: Readonly<Record<string, string>>;
  /** A stable id; generated when absent. */
  readonly id?: string;
};

/** The serialisable description of an instance, as stores share it between processes. */
export type InstanceRecord = {
  readonly id: string;
  readonly name: string;
  readonly baseUrl: string;
  readonly healthPath?: string;
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
