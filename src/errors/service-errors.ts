import { listIssues, type SchemaIssue } from './schema-issues.js';
import { SwitchboardError, type SwitchboardErrorOptions } from './switchboard-error.js';

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
