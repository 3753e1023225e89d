import { ContractViolationError, type ContractViolation } from '../errors.js';
import { throwIfAborted } from '../internal/abort.js';
import { invalidOption, timerOption } from '../internal/options.js';
import type { OperationRequest } from '../http/contract/contract-client.js';
import type {
  HttpContract,
  HttpOperation,
  HttpOperations,
} from '../http/contract/http-contract.js';
import { callOperation, planOperation } from './contract-request.js';
import type {
  HttpContractIssue,
  HttpContractReport,
  HttpContractResult,
} from './http-contract-report.js';

/**
 * How to call one operation for real: its `params` and `body` (typed from the
 * contract), extra headers and query, and the status the provider must answer.
 *
 * @example
 * import type { OperationFixture } from 'switchboard/testing';
 * const missing: OperationFixture<{ method: 'GET'; path: '/users/:id' }> = { params: { id: 404 }, status: 404 };
 */
export type OperationFixture<Operation extends HttpOperation> = OperationRequest<Operation> & {
  /** The query string to send. @default none */
  readonly searchParams?: Readonly<Record<string, string | number | boolean>>;
  /** Sent with this operation only (after `options.headers`). Never reported. @default none */
  readonly headers?: Readonly<Record<string, string>>;
  /** The status the provider must answer; a non-2xx status skips the body check. @default any 2xx */
  readonly status?: number;
};

/**
 * Leaves an operation out of the verification on purpose; the reason is reported.
 *
 * @example
 * import type { SkippedOperation } from 'switchboard/testing';
 * const later: SkippedOperation = { skip: 'needs a real identity provider' };
 */
export type SkippedOperation = { readonly skip: string };

/**
 * A fixture (or a skip) per operation; an operation without one is reported
 * as unverified, which fails the verification.
 *
 * @example
 * import type { HttpContractFixtures } from 'switchboard/testing';
 * import type { authContract } from './auth-contract.js';
 * const fixtures: HttpContractFixtures<(typeof authContract)['operations']> = {
 *   getUser: { params: { id: 1 } },
 * };
 */
export type HttpContractFixtures<Operations extends HttpOperations> = {
  readonly [Name in keyof Operations]?: OperationFixture<Operations[Name]> | SkippedOperation;
};

/**
 * Options of {@link verifyHttpContract}; all optional but `baseUrl` and `fixtures`.
 *
 * @example
 * import type { VerifyHttpContractOptions } from 'switchboard/testing';
 * const options: VerifyHttpContractOptions = { baseUrl: 'http://127.0.0.1:8001', fixtures: {}, timeoutMs: 2_000 };
 */
export type VerifyHttpContractOptions<Operations extends HttpOperations = HttpOperations> = {
  /** The provider under test, e.g. `http://127.0.0.1:8001/api/v1`; nothing else is ever called. */
  readonly baseUrl: string;
  /** How to call each operation, or why it is skipped; an operation left out fails as unverified. */
  readonly fixtures: HttpContractFixtures<Operations>;
  /** Sent with every request (a test token, say). Never reported. @default none */
  readonly headers?: Readonly<Record<string, string>>;
  /** Time limit of each request. @default 5_000 */
  readonly timeoutMs?: number;
  /** Aborts the verification with an `AbortError`. */
  readonly signal?: AbortSignal;
};

/**
 * Checks a running provider against a consumer's contract: calls `baseUrl`
 * over HTTP for every operation (one at a time, in the contract's order, with
 * its fixture), and checks the status and, for a 2xx answer, the body against
 * the consumer's response schema. Redirects are not followed, so only
 * `baseUrl` is ever called. Mismatches are reported, not thrown.
 *
 * @throws TypeError or RangeError for invalid options or fixtures (before any
 * request); {@link AbortError} when `signal` aborts.
 * @example
 * import { verifyHttpContract } from 'switchboard/testing';
 * import { authContract } from './auth-contract.js';
 * const report = await verifyHttpContract(authContract, {
 *   baseUrl: 'http://127.0.0.1:8001',
 *   fixtures: { getUser: { params: { id: 1 } }, verifyToken: { skip: 'needs a signed token' } },
 * });
 * report.ok; // true when the provider honours every operation
 */
export async function verifyHttpContract<Operations extends HttpOperations>(
  contract: HttpContract<Operations>,
  options: VerifyHttpContractOptions<Operations>,
): Promise<HttpContractReport> {
  const timeoutMs = timerOption('timeoutMs', options.timeoutMs ?? 5_000);
  baseUrlOption(options.baseUrl);
  const fixtures: Readonly<Record<string, unknown>> = options.fixtures;
  if (typeof fixtures !== 'object' || (fixtures as unknown) === null) {
    invalidOption('fixtures', 'expected an object of fixtures by operation name', TypeError);
  }
  for (const name of Object.keys(fixtures)) {
    if (!Object.hasOwn(contract.operations, name)) {
      invalidOption(`fixtures.${name}`, `"${contract.service}" has no such operation`, TypeError);
    }
  }
  // Every request is prepared first, so a bad fixture fails before anything is sent.
  const planned = Object.entries(contract.operations).map(([name, operation]) => ({
    name,
    operation,
    plan: planOperation(name, operation, fixtures[name], options),
  }));
  throwIfAborted(options.signal);
  const results: HttpContractResult[] = [];
  for (const { name, operation, plan } of planned) {
    const base = { operation: name, method: operation.method, path: operation.path };
    if (plan.kind === 'request') {
      const { status, issues } = await callOperation(operation, plan, timeoutMs, options.signal);
      results.push({ ...base, ok: issues.length === 0, status, skipped: undefined, issues });
    } else if (plan.kind === 'skipped') {
      results.push({ ...base, ok: true, status: undefined, skipped: plan.reason, issues: [] });
    } else {
      const message = `no fixture, so it is unverified: add fixtures.${name}, or { skip: 'why' }`;
      const issues: HttpContractIssue[] = [{ kind: 'unverified', path: [], message }];
      results.push({ ...base, ok: false, status: undefined, skipped: undefined, issues });
    }
  }
  return {
    service: contract.service,
    baseUrl: options.baseUrl,
    ok: results.every((result) => result.ok),
    results,
  };
}

/**
 * {@link verifyHttpContract}, throwing when anything does not match: for a
 * test that just needs to pass or fail with every mismatch listed.
 *
 * @throws {@link ContractViolationError} listing every mismatch (and each
 * unverified operation); what `verifyHttpContract` throws.
 * @example
 * import { assertHttpContract } from 'switchboard/testing';
 * import { it } from 'vitest';
 * import { authContract } from './auth-contract.js';
 * it('honours what the gateway relies on', async () => {
 *   await assertHttpContract(authContract, { baseUrl: 'http://127.0.0.1:8001', fixtures: { getUser: { params: { id: 1 } } } });
 * });
 */
export async function assertHttpContract<Operations extends HttpOperations>(
  contract: HttpContract<Operations>,
  options: VerifyHttpContractOptions<Operations>,
): Promise<HttpContractReport> {
  const report = await verifyHttpContract(contract, options);
  if (report.ok) return report;
  const violations: ContractViolation[] = report.results.flatMap((result) =>
    result.issues.map((issue) => ({
      where: `${result.operation} (${result.method} ${result.path})`,
      message: issue.message,
    })),
  );
  throw new ContractViolationError(contract.service, violations);
}

function baseUrlOption(baseUrl: unknown): void {
  let url: URL | undefined;
  try {
    url = typeof baseUrl === 'string' ? new URL(baseUrl) : undefined;
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    invalidOption('baseUrl', 'expected an absolute http(s) URL', TypeError);
  }
  if (url.username !== '' || url.password !== '') {
    invalidOption(
      'baseUrl',
      'expected no credentials in the URL (send them in `headers`)',
      TypeError,
    );
  }
}
