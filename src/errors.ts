/**
 * One error hierarchy for the whole library. Every error a public API throws is
 * a {@link SwitchboardError} with a stable `code`; later layers add their
 * subclasses here so the whole vocabulary stays in one place.
 *
 * @module
 */

// A registry-wide symbol, so errors from two copies of the package (a bundler
// mistake, or `npm link`) are still recognised by `isSwitchboardError`.
const MARKER = Symbol.for('switchboard.error');

/** Options common to every {@link SwitchboardError}. */
export type SwitchboardErrorOptions = {
  /** The underlying error, kept as the standard `cause`. */
  readonly cause?: unknown;
};

/**
 * Base class of every error the library throws.
 *
 * Check for it with {@link isSwitchboardError} rather than `instanceof`, which
 * fails across two copies of the package.
 */
export class SwitchboardError extends Error {
  override readonly name: string = 'SwitchboardError';
  /** A stable, machine-readable code; never changes for a given class. */
  readonly code: SwitchboardErrorCode | (string & {}) = 'SWITCHBOARD_ERROR';
  /**
   * True when the error says the caller was wrong (a bad request), not that
   * the callee is unhealthy: breakers do not count it and retries skip it.
   */
  readonly isClientError: boolean = false;

  constructor(message: string, options: SwitchboardErrorOptions = {}) {
    super(message, 'cause' in options ? { cause: options.cause } : undefined);
  }

  static {
    // On the prototype, not each instance: keeps construction cheap (an open
    // breaker allocates one error per rejected call).
    Object.defineProperty(this.prototype, MARKER, { value: true });
  }
}

/** Thrown by a circuit breaker that is open (or half-open with no probe slot free). */
export class CircuitOpenError extends SwitchboardError {
  override readonly name = 'CircuitOpenError';
  override readonly code = 'CIRCUIT_OPEN';
  /** The breaker's name: usually the service or instance it guards. */
  readonly breaker: string;
  /** How long until the breaker lets a probe through; `Infinity` when isolated by hand. */
  readonly retryAfterMs: number;

  constructor(breaker: string, retryAfterMs: number) {
    super(
      Number.isFinite(retryAfterMs)
        ? `Circuit "${breaker}" is open; next probe in ${Math.ceil(retryAfterMs)} ms`
        : `Circuit "${breaker}" is isolated; it stays open until reset()`,
    );
    this.breaker = breaker;
    this.retryAfterMs = retryAfterMs;
  }
}

/** An operation ran past its time limit (an attempt timeout or a total deadline). */
export class TimeoutError extends SwitchboardError {
  override readonly name = 'TimeoutError';
  override readonly code = 'TIMEOUT';
  /** The limit that was exceeded, when known. */
  readonly timeoutMs: number | undefined;

  constructor(message: string, options: SwitchboardErrorOptions & { timeoutMs?: number } = {}) {
    super(message, options);
    this.timeoutMs = options.timeoutMs;
  }
}

/** The caller aborted the operation through its `AbortSignal`; `cause` is `signal.reason`. */
export class AbortError extends SwitchboardError {
  override readonly name = 'AbortError';
  override readonly code = 'ABORTED';
}

/** Why a retry policy stopped retrying. */
export type RetryStopReason = 'retries' | 'deadline' | 'retry-after';

/**
 * A retry policy gave up after at least one retry. `attempts` holds every
 * attempt's error in order; `cause` is the last one.
 */
export class RetryExhaustedError extends SwitchboardError {
  override readonly name = 'RetryExhaustedError';
  override readonly code = 'RETRY_EXHAUSTED';
  /** The error of each attempt, first to last. */
  readonly attempts: readonly unknown[];
  /** What stopped the retries: the retry count, the deadline, or a `Retry-After` too far away. */
  readonly reason: RetryStopReason;

  constructor(attempts: readonly unknown[], reason: RetryStopReason) {
    const last = attempts.at(-1);
    const detail = last instanceof Error ? `: ${last.message}` : '';
    super(`Gave up after ${attempts.length} attempts (${reason})${detail}`, { cause: last });
    this.attempts = attempts;
    this.reason = reason;
  }
}

/** No service of that name is registered. */
export class ServiceNotFoundError extends SwitchboardError {
  override readonly name = 'ServiceNotFoundError';
  override readonly code = 'SERVICE_NOT_FOUND';
  readonly service: string;

  constructor(service: string, known: readonly string[]) {
    super(
      `No service "${service}" is registered` +
        (known.length > 0 ? ` (known: ${known.join(', ')})` : ' (the registry is empty)'),
    );
    this.service = service;
  }
}

/** The service is registered, but none of its instances can take a call now. */
export class ServiceUnavailableError extends SwitchboardError {
  override readonly name = 'ServiceUnavailableError';
  override readonly code = 'SERVICE_UNAVAILABLE';
  readonly service: string;

  constructor(service: string, detail: string, options: SwitchboardErrorOptions = {}) {
    super(`Service "${service}" is unavailable: ${detail}`, options);
    this.service = service;
  }
}

/**
 * A URL the library refuses: not an absolute http(s) URL, carrying
 * credentials, or (for a request with a token) not under a registered base URL.
 */
export class InvalidUrlError extends SwitchboardError {
  override readonly name = 'InvalidUrlError';
  override readonly code = 'INVALID_URL';
  override readonly isClientError = true;
}

/** Why a registry refused a base URL's host. */
export type HostNotAllowedReason = 'link-local' | 'not-allowed';

/**
 * A registry refused an instance because of its host: a link-local or cloud
 * metadata address (`169.254.0.0/16`, `fe80::/10`, `fd00:ec2::254`,
 * `metadata.google.internal`) without `allowLinkLocal`, or a host outside
 * `allowedHosts`. Tokens go to whatever the registry holds, so it holds only
 * hosts it may send them to.
 *
 * @example
 * import { isSwitchboardError, ServiceRegistry } from 'switchboard';
 * try {
 *   new ServiceRegistry().register({ name: 'auth', baseUrl: 'http://169.254.169.254' });
 * } catch (error) {
 *   if (isSwitchboardError(error, 'HOST_NOT_ALLOWED')) console.log(error.host, error.reason);
 * }
 */
export class HostNotAllowedError extends SwitchboardError {
  override readonly name = 'HostNotAllowedError';
  override readonly code = 'HOST_NOT_ALLOWED';
  override readonly isClientError = true;
  /** The refused host, as the URL parser normalised it (`[fd00:ec2::254]`, `169.254.169.254`). */
  readonly host: string;
  readonly reason: HostNotAllowedReason;

  constructor(host: string, reason: HostNotAllowedReason, message: string) {
    super(message);
    this.host = host;
    this.reason = reason;
  }
}

/** The request never got an HTTP response: connection refused or reset, DNS, TLS. */
export class NetworkError extends SwitchboardError {
  override readonly name = 'NetworkError';
  override readonly code = 'NETWORK_ERROR';
}

// 408, 425 and 429 blame timing or load, not the request itself.
const NOT_CLIENT_FAULT = new Set([408, 425, 429]);

/** A response with a non-2xx status. `url` never includes the query string. */
export class HttpError extends SwitchboardError {
  override readonly name = 'HttpError';
  override readonly code = 'HTTP_ERROR';
  override readonly isClientError: boolean;
  readonly status: number;
  readonly method: string;
  readonly url: string;
  /** The response body: parsed JSON when the response said JSON, else text (possibly cut short). */
  readonly body: unknown;
  /** From a `Retry-After` header, when the response had a valid one. */
  readonly retryAfterMs: number | undefined;

  constructor(init: {
    status: number;
    method: string;
    url: string;
    body: unknown;
    retryAfterMs?: number | undefined;
  }) {
    super(`${init.method} ${init.url} answered ${init.status}`);
    this.status = init.status;
    this.method = init.method;
    this.url = init.url;
    this.body = init.body;
    this.retryAfterMs = init.retryAfterMs;
    // A redirect (not followed) or a 4xx says the request was wrong, not the service.
    this.isClientError = init.status < 500 && !NOT_CLIENT_FAULT.has(init.status);
  }
}

/** One problem found by a schema. */
export type SchemaIssue = { readonly message: string; readonly path: readonly PropertyKey[] };

/** A 2xx response whose body does not match the schema the caller gave. */
export class ResponseValidationError extends SwitchboardError {
  override readonly name = 'ResponseValidationError';
  override readonly code = 'RESPONSE_VALIDATION';
  readonly method: string;
  readonly url: string;
  readonly issues: readonly SchemaIssue[];

  constructor(method: string, url: string, issues: readonly SchemaIssue[]) {
    super(`${method} ${url} returned a body that does not match its schema: ${listIssues(issues)}`);
    this.method = method;
    this.url = url;
    this.issues = issues;
  }
}

/** Why a response body was refused. */
export type InvalidResponseReason = 'malformed-json' | 'too-large' | 'not-json';

/** A response body that is not what it promised: bad JSON, not JSON where JSON was needed, or too large. */
export class InvalidResponseError extends SwitchboardError {
  override readonly name = 'InvalidResponseError';
  override readonly code = 'INVALID_RESPONSE';
  readonly reason: InvalidResponseReason;

  constructor(
    reason: InvalidResponseReason,
    message: string,
    options: SwitchboardErrorOptions = {},
  ) {
    super(message, options);
    this.reason = reason;
  }
}

/** Which store operation a {@link RegistryStoreError} comes from. */
export type RegistryStoreOperation = 'announce' | 'withdraw' | 'watch';

/** Why a store operation failed: the store was closed, or Redis refused or failed the command. */
export type RegistryStoreErrorReason = 'closed' | 'redis';

/**
 * A registry store operation failed: the store is closed, or Redis answered
 * with an error. (A Redis that does not answer within `ttlMs` gives a
 * `TimeoutError`; an aborted signal an `AbortError`.)
 */
export class RegistryStoreError extends SwitchboardError {
  override readonly name = 'RegistryStoreError';
  override readonly code = 'REGISTRY_STORE';
  readonly operation: RegistryStoreOperation;
  readonly reason: RegistryStoreErrorReason;

  constructor(
    operation: RegistryStoreOperation,
    reason: RegistryStoreErrorReason,
    message: string,
    options: SwitchboardErrorOptions = {},
  ) {
    super(message, options);
    this.operation = operation;
    this.reason = reason;
  }
}

/**
 * An event (or its data) does not match its definition: thrown by
 * `definition.create` for a wrong payload, `definition.parse` and
 * `fromCloudEvent` for an invalid envelope. `issues` lists every problem with
 * its path (`['data', 'price']`).
 *
 * @example
 * import { isSwitchboardError, ProductEvents } from 'switchboard';
 * try {
 *   ProductEvents.created.create(input);
 * } catch (error) {
 *   if (isSwitchboardError(error, 'EVENT_VALIDATION')) console.log(error.issues);
 * }
 */
export class EventValidationError extends SwitchboardError {
  override readonly name = 'EventValidationError';
  override readonly code = 'EVENT_VALIDATION';
  // A wrong event is the producer's bug: retrying or redelivering it cannot help.
  override readonly isClientError = true;
  /** The event's `type`, when the input had a string one. */
  readonly eventType: string | undefined;
  readonly issues: readonly SchemaIssue[];

  constructor(eventType: string | undefined, issues: readonly SchemaIssue[]) {
    super(
      `Invalid event${eventType === undefined ? '' : ` "${eventType}"`}: ${listIssues(issues)}`,
    );
    this.eventType = eventType;
    this.issues = issues;
  }
}

/**
 * Why received bytes were refused as an event.
 *
 * @example
 * import type { EventDecodeReason } from 'switchboard';
 * const reason: EventDecodeReason = 'too-large';
 */
export type EventDecodeReason =
  'too-large' | 'too-deep' | 'malformed-json' | 'invalid-envelope' | 'unsupported-specversion';

/**
 * Received bytes that are not an event the library accepts: over the size
 * or nesting limit, not JSON, not a valid envelope, or another CloudEvents `specversion`.
 * For `'invalid-envelope'`, `cause` is the {@link EventValidationError}.
 *
 * @example
 * import { decodeEvent, isSwitchboardError } from 'switchboard';
 * try {
 *   decodeEvent(message);
 * } catch (error) {
 *   if (isSwitchboardError(error, 'EVENT_DECODE')) console.log(error.reason); // e.g. 'too-large'
 * }
 */
export class EventDecodeError extends SwitchboardError {
  override readonly name = 'EventDecodeError';
  override readonly code = 'EVENT_DECODE';
  // A poison message stays poison: redelivery cannot fix it.
  override readonly isClientError = true;
  readonly reason: EventDecodeReason;

  constructor(reason: EventDecodeReason, message: string, options: SwitchboardErrorOptions = {}) {
    super(message, options);
    this.reason = reason;
  }
}

/**
 * The object was closed: a transport, an event bus, a client. Calls after
 * `close()` fail with this instead of half-working.
 */
export class ClosedError extends SwitchboardError {
  override readonly name = 'ClosedError';
  override readonly code = 'CLOSED';
  override readonly isClientError = true;
  /** What was closed, e.g. `'memory transport'`, `'event bus of "product-service"'`. */
  readonly resource: string;

  constructor(resource: string, operation: string) {
    super(`The ${resource} is closed: cannot ${operation}`);
    this.resource = resource;
  }
}

/**
 * An event transport could not do what was asked: Redis refused or failed a
 * command, or stayed unreachable for longer than the transport waits. Nothing
 * was silently dropped: a failed publish may be retried (a publish whose reply
 * was lost can then be stored twice; handlers are at-least-once anyway).
 *
 * @example
 * import { isSwitchboardError } from 'switchboard';
 * if (isSwitchboardError(error, 'TRANSPORT')) console.log(error.transport, error.operation);
 */
export class TransportError extends SwitchboardError {
  override readonly name = 'TransportError';
  override readonly code = 'TRANSPORT';
  /** The transport's kind, e.g. `'redis'`. */
  readonly transport: string;
  /** What failed, e.g. `'publish'`, `'list dead letters'`. */
  readonly operation: string;

  constructor(
    transport: string,
    operation: string,
    message: string,
    options: SwitchboardErrorOptions = {},
  ) {
    super(`The ${transport} transport could not ${operation}: ${message}`, options);
    this.transport = transport;
    this.operation = operation;
  }
}

/**
 * A publish asked for `durability` and the event is stored on the master,
 * but not as many replicas confirmed it within `timeoutMs` (`WAIT`): a
 * failover now could lose it. Retrying stores it again (consumers with
 * `dedupe` handle it once); `messageId` is the stored copy's id.
 *
 * @example
 * import { isSwitchboardError } from 'switchboard';
 * if (isSwitchboardError(error, 'NOT_REPLICATED')) console.log(error.acknowledged, 'of', error.replicas);
 */
export class NotReplicatedError extends SwitchboardError {
  override readonly name = 'NotReplicatedError';
  override readonly code = 'NOT_REPLICATED';
  /** The id the event got on the master. */
  readonly messageId: string;
  /** Replicas asked for. */
  readonly replicas: number;
  /** Replicas that confirmed in time. */
  readonly acknowledged: number;

  constructor(topic: string, messageId: string, replicas: number, acknowledged: number) {
    super(
      `An event on topic "${topic}" is stored (${messageId}) but ${acknowledged} of ${replicas} replica(s) confirmed it in time`,
    );
    this.messageId = messageId;
    this.replicas = replicas;
    this.acknowledged = acknowledged;
  }
}

/**
 * One mismatch found by a contract check: where (an operation, say
 * `getUser (GET /users/:id)`) and what.
 *
 * @example
 * import type { ContractViolation } from 'switchboard/testing';
 * const violation: ContractViolation = { where: 'getUser (GET /users/:id)', message: 'expected status 200, got 500' };
 */
export type ContractViolation = { readonly where: string; readonly message: string };

/**
 * A provider broke a contract its consumers declared: thrown by
 * `assertHttpContract` from `switchboard/testing`, listing every mismatch
 * (wrong status, a body that fails the consumer's schema, an operation left
 * unverified) in `violations` and in its message.
 *
 * @example
 * import { isSwitchboardError } from 'switchboard';
 * if (isSwitchboardError(error, 'CONTRACT_VIOLATION')) console.log(error.contract, error.violations);
 */
export class ContractViolationError extends SwitchboardError {
  override readonly name = 'ContractViolationError';
  override readonly code = 'CONTRACT_VIOLATION';
  /** The contract's name: the service it describes, e.g. `'auth'`. */
  readonly contract: string;
  /** Every mismatch, in the contract's order. */
  readonly violations: readonly ContractViolation[];

  constructor(contract: string, violations: readonly ContractViolation[]) {
    const lines = violations.map((violation) => `  - ${violation.where}: ${violation.message}`);
    super(
      `The "${contract}" contract is violated (${violations.length} ${violations.length === 1 ? 'mismatch' : 'mismatches'}):\n${lines.join('\n')}`,
    );
    this.contract = contract;
    this.violations = violations;
  }
}

/** Every error class by its code; {@link isSwitchboardError} narrows with it. */
export type SwitchboardErrorByCode = {
  SWITCHBOARD_ERROR: SwitchboardError;
  CIRCUIT_OPEN: CircuitOpenError;
  TIMEOUT: TimeoutError;
  ABORTED: AbortError;
  RETRY_EXHAUSTED: RetryExhaustedError;
  SERVICE_NOT_FOUND: ServiceNotFoundError;
  SERVICE_UNAVAILABLE: ServiceUnavailableError;
  INVALID_URL: InvalidUrlError;
  HOST_NOT_ALLOWED: HostNotAllowedError;
  NETWORK_ERROR: NetworkError;
  HTTP_ERROR: HttpError;
  RESPONSE_VALIDATION: ResponseValidationError;
  INVALID_RESPONSE: InvalidResponseError;
  REGISTRY_STORE: RegistryStoreError;
  EVENT_VALIDATION: EventValidationError;
  EVENT_DECODE: EventDecodeError;
  CLOSED: ClosedError;
  TRANSPORT: TransportError;
  NOT_REPLICATED: NotReplicatedError;
  CONTRACT_VIOLATION: ContractViolationError;
};

/** The codes the library's own errors carry. */
export type SwitchboardErrorCode = keyof SwitchboardErrorByCode;

/**
 * True when `value` is an error thrown by switchboard (optionally with the given
 * code). Works across copies of the package, unlike `instanceof`.
 *
 * @example
 * import { isSwitchboardError } from 'switchboard';
 * if (isSwitchboardError(error, 'CIRCUIT_OPEN')) console.log(error.retryAfterMs);
 */
export function isSwitchboardError<C extends SwitchboardErrorCode>(
  value: unknown,
  code: C,
): value is SwitchboardErrorByCode[C];
export function isSwitchboardError(value: unknown): value is SwitchboardError;
export function isSwitchboardError(value: unknown, code?: string): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Record<symbol, unknown>)[MARKER] === true &&
    (code === undefined || (value as SwitchboardError).code === code)
  );
}

/**
 * True for errors that blame the caller rather than the callee: a
 * {@link SwitchboardError} with `isClientError`, or any error object carrying
 * `isClientError: true` (so applications can mark their own).
 */
export function isClientError(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { isClientError?: unknown }).isClientError === true
  );
}

/**
 * True when `error` means "the caller gave up": our {@link AbortError}, or a
 * platform abort (`DOMException` named `AbortError`).
 */
export function isAbortError(error: unknown): boolean {
  return (
    isSwitchboardError(error, 'ABORTED') ||
    (error instanceof Error && error.name === 'AbortError' && !isSwitchboardError(error))
  );
}

/**
 * The error to throw for an aborted signal, consistent everywhere:
 * - a reason that is already a {@link SwitchboardError} (our own deadline, say)
 *   is thrown as it is;
 * - `AbortSignal.timeout()`'s `DOMException` becomes a {@link TimeoutError};
 * - anything else becomes an {@link AbortError} whose `cause` is the reason.
 */
export function abortErrorFrom(signal: AbortSignal): SwitchboardError {
  const reason: unknown = signal.reason;
  if (isSwitchboardError(reason)) return reason;
  if (reason instanceof Error && reason.name === 'TimeoutError') {
    return new TimeoutError('The operation timed out (signal)', { cause: reason });
  }
  return new AbortError('The operation was aborted', { cause: reason });
}

// The first few issues, readable in a log line: `data.price: Too small; type: Required`.
// Paths and messages can come from received bytes (an attribute name is a
// path): each is cut short, so an error message stays bounded whatever came in.
function listIssues(issues: readonly SchemaIssue[]): string {
  const listed = issues
    .slice(0, 5)
    .map((issue) => {
      const path = issue.path.map((part) => clip(String(part), 40)).join('.');
      return `${path || '(root)'}: ${clip(issue.message, 200)}`;
    })
    .join('; ');
  return issues.length > 5 ? `${listed}; and ${issues.length - 5} more` : listed;
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
