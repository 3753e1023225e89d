import type { HttpMethod } from '../http/service-client-options.js';

/**
 * What a problem is about: a missing fixture, a fixture that breaks the
 * contract itself, a request that got no answer, a status, or a body.
 *
 * @example
 * import type { HttpContractIssueKind } from 'switchboard/testing';
 * const kind: HttpContractIssueKind = 'body';
 */
export type HttpContractIssueKind = 'unverified' | 'fixture' | 'request' | 'status' | 'body';

/**
 * One problem found with an operation; `path` locates it in the body (`['email']`).
 *
 * @example
 * import type { HttpContractIssue } from 'switchboard/testing';
 * const issue: HttpContractIssue = { kind: 'status', path: [], message: 'expected status 2xx, got 500' };
 */
export type HttpContractIssue = {
  readonly kind: HttpContractIssueKind;
  readonly path: readonly PropertyKey[];
  readonly message: string;
};

/**
 * The outcome of one operation. `status` is the provider's answer (`undefined`
 * when none came or the operation was not called); `skipped` is the reason it
 * was skipped.
 *
 * @example
 * import type { HttpContractResult } from 'switchboard/testing';
 * const result: HttpContractResult = {
 *   operation: 'getUser', method: 'GET', path: '/users/:id', ok: true, status: 200, skipped: undefined, issues: [],
 * };
 */
export type HttpContractResult = {
  readonly operation: string;
  readonly method: HttpMethod;
  /** The operation's path template. */
  readonly path: string;
  readonly ok: boolean;
  readonly status: number | undefined;
  readonly skipped: string | undefined;
  readonly issues: readonly HttpContractIssue[];
};

/**
 * What {@link verifyHttpContract} found: `ok` when every operation is verified
 * (or skipped with a reason) and matched.
 *
 * @example
 * import type { HttpContractReport } from 'switchboard/testing';
 * const failing = (report: HttpContractReport) => report.results.filter((result) => !result.ok);
 */
export type HttpContractReport = {
  readonly service: string;
  readonly baseUrl: string;
  readonly ok: boolean;
  readonly results: readonly HttpContractResult[];
};
