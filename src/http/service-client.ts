import { currentCorrelation, newCorrelationId } from '../context/correlation.js';
import { childTraceparent, createTraceparent } from '../context/traceparent.js';
import {
  HttpError,
  InvalidResponseError,
  ResponseValidationError,
  TimeoutError,
  abortErrorFrom,
  isSwitchboardError,
} from '../errors.js';
import { throwIfAborted } from '../internal/abort.js';
import { redactUrl } from '../internal/redact-url.js';
import { integerOption, nameOption, numberOption } from '../internal/options.js';
import { TypedEmitter, type Listener } from '../internal/typed-emitter.js';
import { silentLogger, type Logger } from '../logger.js';
import type { ServiceResolver } from '../registry/service-resolver.js';
import type { ServiceInstance } from '../registry/service-instance.js';
import { RetryPolicy } from '../resilience/retry.js';
import { VERSION } from '../version.js';
import { AttemptAbort } from './attempt-abort.js';
import { attemptFailure } from './attempt-failure.js';
import { CORRELATION_ID_HEADER, REQUEST_TIMEOUT_HEADER } from './incoming-context.js';
import { fetchTransport } from './fetch-transport.js';
import type { HttpTransport } from './http-transport.js';
import { poolTransport } from './pool-transport.js';
import { readBody } from './response-body.js';
import { headerValue, requestHeaders } from './request-headers.js';
import { parseRetryAfter } from './retry-after.js';
import { RetryBudget } from './retry-budget.js';
import { IDEMPOTENT_METHODS, isRetryableFailure } from './retryable.js';
import { resolveUrl } from './request-url.js';
import type { StandardSchemaV1 } from '../standard-schema.js';
import type {
  HttpMethod,
  RequestOptions,
  ResponseOf,
  ServiceClientEvents,
  ServiceClientOptions,
} from './service-client-options.js';
import { validate } from '../internal/validate-schema.js';

/** How much of an error response's body an `HttpError` keeps. */
const ERROR_BODY_BYTES = 64 * 1024;

type Call = {
  readonly method: HttpMethod;
  readonly path: string;
  readonly options: RequestOptions<StandardSchemaV1 | undefined>;
  /** Lower-case names; the same on every attempt (idempotency key included). */
  readonly headers: Record<string, string>;
  /** The encoded `json` option, once for every attempt. */
  readonly body: string | undefined;
  /** The query from `searchParams`, replacing the path's own. */
  readonly search: string | undefined;
  readonly deadlineAt: number;
  /** Instances already tried: a retry goes elsewhere when it can. */
  readonly tried: Set<string>;
  /** The caller's `traceparent`; each attempt sends a child span of it. */
  readonly parentTrace: string;
  /** The previous attempt's failure, for the `retry` event. */
  lastFailure: { readonly at: number; readonly error: unknown } | undefined;
};

/**
 * Calls one service of the registry with resilience built in: resolve a
 * healthy instance → its circuit breaker → one attempt with a timeout → retries
 * (on another instance when there is one) within a total deadline and a retry
 * budget. One retry layer per hop: every attempt, timeout and error is the
 * client's (with a `fetch` of the caller's, ky's own retry and timeout are off).
 *
 * @example
 * import { ServiceClient, ServiceRegistry } from 'switchboard';
 * import { z } from 'zod';
 * const registry = ServiceRegistry.fromConfig({ auth: 'http://127.0.0.1:8001/api/v1' });
 * const auth = new ServiceClient('auth', { registry, timeoutMs: 2_000 });
 * const user = await auth.get('/users/1', { schema: z.object({ id: z.number() }) });
 */
export class ServiceClient {
  readonly service: string;
  readonly #registry: ServiceResolver;
  readonly #transport: HttpTransport;
  readonly #timeoutMs: number;
  readonly #deadlineMs: number;
  readonly #maxResponseBytes: number;
  readonly #policy: RetryPolicy | undefined;
  readonly #budget: RetryBudget | undefined;
  readonly #headers: Readonly<Record<string, string>>;
  readonly #logger: Logger;
  readonly #events = new TypedEmitter<ServiceClientEvents>();
  #closed: Promise<void> | undefined;

  /** @throws {TypeError | RangeError} at once, naming the option, when an option is invalid. */
  constructor(service: string, options: ServiceClientOptions) {
    this.service = nameOption('service', service);
    this.#registry = options.registry;
    this.#timeoutMs = numberOption('timeoutMs', options.timeoutMs ?? 5_000, { min: 1 });
    this.#deadlineMs = numberOption('deadlineMs', options.deadlineMs ?? 15_000, { min: 1 });
    this.#maxResponseBytes = integerOption(
      'maxResponseBytes',
      options.maxResponseBytes ?? 10 * 1024 * 1024,
    );
    this.#headers = requestHeaders('headers', {
      'user-agent': `switchboard/${VERSION}`,
      accept: 'application/json',
      ...options.headers,
    });
    this.#logger = options.logger ?? silentLogger;
    this.#budget = options.budget === false ? undefined : new RetryBudget(options.budget);
    const retry = options.retry === false ? undefined : (options.retry ?? {});
    this.#policy =
      retry === undefined || retry.retries === 0
        ? undefined
        : new RetryPolicy({
            retries: retry.retries ?? 2,
            baseDelayMs: retry.baseDelayMs ?? 50,
            maxDelayMs: retry.maxDelayMs ?? 1_000,
            maxRetryAfterMs: retry.maxRetryAfterMs ?? 5_000,
            shouldRetry: (error) => isRetryableFailure(error) && (this.#budget?.canRetry() ?? true),
          });
    this.#transport =
      options.fetch === undefined
        ? poolTransport(options.connection)
        : fetchTransport(options.fetch);
  }

  get<S extends StandardSchemaV1 | undefined = undefined>(
    path: string,
    options?: RequestOptions<S>,
  ): Promise<ResponseOf<S>> {
    return this.request('GET', path, options);
  }

  post<S extends StandardSchemaV1 | undefined = undefined>(
    path: string,
    options?: RequestOptions<S>,
  ): Promise<ResponseOf<S>> {
    return this.request('POST', path, options);
  }

  put<S extends StandardSchemaV1 | undefined = undefined>(
    path: string,
    options?: RequestOptions<S>,
  ): Promise<ResponseOf<S>> {
    return this.request('PUT', path, options);
  }

  patch<S extends StandardSchemaV1 | undefined = undefined>(
    path: string,
    options?: RequestOptions<S>,
  ): Promise<ResponseOf<S>> {
    return this.request('PATCH', path, options);
  }

  delete<S extends StandardSchemaV1 | undefined = undefined>(
    path: string,
    options?: RequestOptions<S>,
  ): Promise<ResponseOf<S>> {
    return this.request('DELETE', path, options);
  }

  /**
   * Sends a request and resolves to its body (validated by `schema` when given).
   *
   * @throws {@link HttpError} for a non-2xx answer; {@link TimeoutError},
   * {@link NetworkError}, {@link CircuitOpenError}, {@link RetryExhaustedError},
   * {@link ServiceUnavailableError}, {@link ServiceNotFoundError},
   * {@link ResponseValidationError}, {@link InvalidResponseError},
   * {@link InvalidUrlError}, {@link AbortError}.
   */
  async request<S extends StandardSchemaV1 | undefined = undefined>(
    method: HttpMethod,
    path: string,
    options: RequestOptions<S> = {},
  ): Promise<ResponseOf<S>> {
    throwIfAborted(options.signal);
    const now = Date.now();
    const context = currentCorrelation();
    const deadlineAt = Math.min(
      now + (options.deadlineMs ?? this.#deadlineMs),
      context?.deadlineAt ?? Infinity,
    );
    if (deadlineAt <= now) {
      throw new TimeoutError(
        `${method} ${this.service}${path} not sent: the caller's deadline has passed`,
      );
    }
    const call: Call = {
      method,
      path,
      options,
      headers: this.#headersFor(options),
      body: options.json === undefined ? undefined : JSON.stringify(options.json),
      search: searchOf(options.searchParams),
      deadlineAt,
      tried: new Set(),
      // Without an inbound trace the call starts one, so its attempts share a trace id.
      parentTrace: context?.traceparent ?? createTraceparent(),
      lastFailure: undefined,
    };
    this.#budget?.recordRequest(now);
    const policy =
      options.retry !== false &&
      (IDEMPOTENT_METHODS.has(method) || options.idempotencyKey !== undefined)
        ? this.#policy
        : undefined;
    try {
      const result =
        policy === undefined
          ? await this.#attempt(call, 1, options.signal)
          : // Each attempt's own timer is bounded by the deadline, so the policy
            // only needs it to decide; it arms no timer or signal of its own.
            await policy.execute(({ attempt, signal }) => this.#attempt(call, attempt, signal), {
              signal: options.signal,
              deadlineAt,
            });
      return result as ResponseOf<S>;
    } catch (error) {
      // The query string, or the user and password of a URL given as a path,
      // may carry secrets: events and logs get the path without them.
      const bare = redactUrl(path);
      this.#events.emit('error', { method, path: bare, error });
      this.#logger.debug(
        { service: this.service, method, path: bare, code: codeOf(error) },
        'request failed',
      );
      throw error;
    }
  }

  /** Closes the client's own connection pool (idle keep-alive sockets). Idempotent. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#events.clear();
      await this.#transport.close();
    })();
    return this.#closed;
  }

  /** Subscribes to a client event; returns the unsubscribe function. */
  on<K extends keyof ServiceClientEvents>(
    name: K,
    listener: Listener<ServiceClientEvents[K]>,
  ): () => void {
    return this.#events.on(name, listener);
  }

  async #attempt(call: Call, attempt: number, signal: AbortSignal | undefined): Promise<unknown> {
    const instance = this.#registry.resolve(this.service, { exclude: call.tried });
    call.tried.add(instance.id);
    const url = resolveUrl(instance.baseUrl, call.path);
    if (call.search !== undefined) url.search = call.search;
    if (call.lastFailure !== undefined) {
      this.#budget?.recordRetry();
      if (this.#events.has('retry')) {
        this.#events.emit('retry', {
          method: call.method,
          url: url.origin + url.pathname,
          attempt,
          delayMs: Date.now() - call.lastFailure.at,
          error: call.lastFailure.error,
        });
      }
    }
    const release = this.#registry.track(instance);
    try {
      const result = await instance.breaker.call(
        ({ signal: s }: { signal: AbortSignal | undefined }) =>
          this.#send(call, instance, url, attempt, s),
        {
          signal,
        },
      );
      this.#registry.report(instance.id, 'success');
      return result;
    } catch (error) {
      call.lastFailure = { at: Date.now(), error };
      if (blamesInstance(error)) this.#registry.report(instance.id, 'failure');
      throw error;
    } finally {
      release();
    }
  }

  async #send(
    call: Call,
    instance: ServiceInstance,
    url: URL,
    attempt: number,
    callerSignal: AbortSignal | undefined,
  ): Promise<unknown> {
    const started = Date.now();
    const budgetMs = Math.max(
      1,
      Math.min(call.options.timeoutMs ?? this.#timeoutMs, call.deadlineAt - started),
    );
    const printable = url.origin + url.pathname;
    if (this.#events.has('request')) {
      this.#events.emit('request', {
        method: call.method,
        url: printable,
        attempt,
        instance: instance.id,
      });
    }
    const cut = new AttemptAbort(budgetMs, `${call.method} ${printable}`, callerSignal);
    try {
      const response = await this.#transport.send({
        url,
        method: call.method,
        headers: {
          ...call.headers,
          [REQUEST_TIMEOUT_HEADER]: String(Math.max(0, call.deadlineAt - Date.now())),
          // Each attempt is its own outgoing request: its own span of the caller's trace.
          traceparent: childTraceparent(call.parentTrace),
        },
        body: call.body,
        abort: cut,
      });
      if (this.#events.has('response')) {
        this.#events.emit('response', {
          method: call.method,
          url: printable,
          status: response.status,
          durationMs: Date.now() - started,
          attempt,
        });
      }
      if (response.status < 200 || response.status > 299) {
        const { data } = await readBody(response, {
          maxBytes: Math.min(this.#maxResponseBytes, ERROR_BODY_BYTES),
          truncate: true,
        });
        throw new HttpError({
          status: response.status,
          method: call.method,
          url: printable,
          body: data,
          retryAfterMs: parseRetryAfter(response.header('retry-after') ?? null),
        });
      }
      const { data, isJson } = await readBody(response, { maxBytes: this.#maxResponseBytes });
      const schema = call.options.schema;
      if (schema === undefined) return data;
      if (!isJson) {
        throw new InvalidResponseError(
          'not-json',
          `${call.method} ${printable} answered ${response.header('content-type') ?? 'no content type'}, not JSON`,
        );
      }
      const result = await validate(schema, data);
      if (result.issues !== undefined)
        throw new ResponseValidationError(call.method, printable, result.issues);
      return result.value;
    } catch (error) {
      if (callerSignal?.aborted === true) throw abortErrorFrom(callerSignal);
      throw attemptFailure(error, cut.timedOut, call.method, printable);
    } finally {
      cut.dispose();
    }
  }

  // Built once per call, so every attempt carries the same idempotency key.
  #headersFor(options: RequestOptions<StandardSchemaV1 | undefined>): Record<string, string> {
    const headers =
      options.headers === undefined
        ? { ...this.#headers }
        : { ...this.#headers, ...requestHeaders('headers', options.headers) };
    headers[CORRELATION_ID_HEADER] = currentCorrelation()?.correlationId ?? newCorrelationId();
    if (options.json !== undefined) headers['content-type'] ??= 'application/json';
    if (options.token !== undefined) {
      headers['authorization'] = `Bearer ${headerValue('token', options.token)}`;
    }
    if (options.idempotencyKey !== undefined) {
      headers['idempotency-key'] =
        options.idempotencyKey === true
          ? newCorrelationId()
          : headerValue('idempotencyKey', options.idempotencyKey);
    }
    return headers;
  }
}

function searchOf(
  params: Readonly<Record<string, string | number | boolean>> | URLSearchParams | undefined,
): string | undefined {
  if (params === undefined) return undefined;
  let search = params;
  if (!(search instanceof URLSearchParams)) {
    search = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) search.set(key, String(value));
  }
  return search.size > 0 ? search.toString() : undefined;
}

// Passive health: failures that say something about the instance itself.
function blamesInstance(error: unknown): boolean {
  if (isSwitchboardError(error, 'HTTP_ERROR')) return error.status >= 500;
  return isSwitchboardError(error, 'NETWORK_ERROR') || isSwitchboardError(error, 'TIMEOUT');
}

function codeOf(error: unknown): string {
  return isSwitchboardError(error) ? error.code : 'UNKNOWN';
}
