import type { CircuitBreaker, CircuitState } from '../resilience/circuit-breaker.js';
import type { InstanceRecord, InstanceStatus, ServiceInstance } from './service-instance.js';

/**
 * The registry's own object behind each {@link ServiceInstance}: callers see
 * read-only getters, so the instance they hold stays current (status, calls
 * in flight) without being copied on every change.
 */
export class LiveInstance implements ServiceInstance {
  readonly id: string;
  readonly name: string;
  readonly baseUrl: string;
  readonly breaker: CircuitBreaker;
  readonly local: boolean;
  #record: InstanceRecord;
  #status: InstanceStatus = 'healthy';
  #statusSince = Date.now();
  #inFlight = 0;

  constructor(record: InstanceRecord, breaker: CircuitBreaker, local: boolean) {
    this.id = record.id;
    this.name = record.name;
    this.baseUrl = record.baseUrl;
    this.breaker = breaker;
    this.local = local;
    this.#record = record;
  }

  get healthPath(): string | undefined {
    return this.#record.healthPath;
  }

  get metadata(): Readonly<Record<string, string>> {
    return this.#record.metadata;
  }

  get status(): InstanceStatus {
    return this.#status;
  }

  /** Epoch ms of the last status change (registration counts as one). */
  get statusSince(): number {
    return this.#statusSince;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** The record as registered or last mirrored. */
  get record(): InstanceRecord {
    return this.#record;
  }

  /** Takes a remote instance's new health path and metadata (same id, name and URL). */
  update(record: InstanceRecord): void {
    this.#record = record;
  }

  setStatus(status: InstanceStatus): void {
    this.#status = status;
    this.#statusSince = Date.now();
  }

  /** Counts a call in flight; the returned release works once, however often it is called. */
  track(): () => void {
    this.#inFlight += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#inFlight -= 1;
    };
  }

  // Getters are not own properties: without this, logging an instance shows no status.
  toJSON(): InstanceRecord & {
    status: InstanceStatus;
    inFlight: number;
    local: boolean;
    breaker: CircuitState;
  } {
    return {
      ...this.#record,
      status: this.#status,
      inFlight: this.#inFlight,
      local: this.local,
      breaker: this.breaker.state,
    };
  }
}
