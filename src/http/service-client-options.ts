import type { Logger } from '../logger.js';
import type { ServiceResolver } from '../registry/service-resolver.js';
import type { RetryBudgetOptions } from './retry-budget.js';
import type { InferOutput, StandardSchemaV1 } from '../standard-schema.js';
import type { ConnectionOptions } from './pool-transport.js';

/** HTTP methods a {@link ServiceClient} sends. */
export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';

/** Retry settings of a {@link ServiceClient}. */
export type ServiceRetryOptions = {
  /** Retries after the first attempt. @default 2 */
  readonly retries?: number;
  /** Backoff cap of the first retry (full jitter). @default 50 */
  readonly baseDelayMs?: number;
  /** Longest backoff. @default 1_000 */
  readonly maxDelayMs?: number;
  /** Longest `Retry-After` worth waiting for; a longer one fails at once. @default 5_000 */
  readonly maxRetryAfterMs?: number;
};

/** Options of {@link ServiceClient}; all optional but the registry. */
export type ServiceClientOptions = {
  /** Where the service's instances come from: a `ServiceRegistry`. */
  readonly registry: ServiceResolver;
  /** Time limit of each attempt. @default 5_000 */
  readonly timeoutMs?: number;
  /** Time limit of a whole call, retries and waits included; sent downstream. @default 15_000 */
  readonly deadlineMs?: number;
  /** `false` turns retries off. */
  readonly retry?: ServiceRetryOptions | false;
  /** Caps retries to a share of recent requests; `false` turns it off. */
  readonly budget?: RetryBudgetOptions | false;
  /** Larger response bodies fail with {@link InvalidResponseError}. @default 10 MiB */
  readonly maxResponseBytes?: number;
  /**
   * Headers sent with every request (per-request headers win; names are
   * matched without regard to case).
   */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * A fetch to send requests with (an instrumented fetch, a test double),
   * driven through ky; it gets a real `AbortSignal` and `redirect: 'manual'`.
   * By default the client keeps its own keep-alive pool on undici's
   * dispatcher, with no WHATWG objects per request (several times the
   * throughput of the global fetch; see `npm run bench -- http`), closed by
   * {@link ServiceClient.close}.
   * @default the client's own pool
   */
  readonly fetch?: typeof fetch;
  /** Pool settings when the client owns its connections (no `fetch` given). */
  readonly connection?: ConnectionOptions;
  /** @default a silent logger */
  readonly logger?: Logger;
};

/** Per-request options. */
export type RequestOptions<S extends StandardSchemaV1 | undefined = undefined> = {
  /** Sent as a JSON body. */
  readonly json?: unknown;
  readonly searchParams?: Readonly<Record<string, string | number | boolean>> | URLSearchParams;
  readonly headers?: Readonly<Record<string, string>>;
  /** Sent as `Authorization: Bearer <token>`; never logged, never sent off the registry. */
  readonly token?: string;
  /** Validates (and types) the response body: zod 4 or any Standard Schema. */
  readonly schema?: S;
  readonly signal?: AbortSignal;
  /** This request's per-attempt limit. */
  readonly timeoutMs?: number;
  /** This request's total limit. */
  readonly deadlineMs?: number;
  /** `false` sends exactly one attempt. */
  readonly retry?: false;
  /**
   * Makes a POST or PATCH retryable: the same `Idempotency-Key` header goes
   * with every attempt. `true` generates one.
   */
  readonly idempotencyKey?: string | true;
};

/** What a request resolves to: the schema's output, or the parsed body. */
export type ResponseOf<S> = S extends StandardSchemaV1 ? InferOutput<S> : unknown;

/** Typed events of a {@link ServiceClient}. Payloads never hold tokens or headers. */
export type ServiceClientEvents = {
  request: {
    readonly method: string;
    readonly url: string;
    readonly attempt: number;
    readonly instance: string;
  };
  response: {
    readonly method: string;
    readonly url: string;
    readonly status: number;
    readonly durationMs: number;
    readonly attempt: number;
  };
  /** Before a retry: `attempt` is the one about to be sent, `error` the previous one's. */
  retry: {
    readonly method: string;
    readonly url: string;
    readonly attempt: number;
    readonly delayMs: number;
    readonly error: unknown;
  };
  error: { readonly method: string; readonly path: string; readonly error: unknown };
};
