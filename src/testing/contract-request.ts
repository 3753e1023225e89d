import { abortErrorFrom, isSwitchboardError } from '../errors.js';
import { resolveUrl } from '../http/request-url.js';
import { responseFromFetch } from '../http/fetch-response.js';
import { readBody } from '../http/response-body.js';
import { invalidOption } from '../internal/options.js';
import { validate } from '../internal/validate-schema.js';
import type { HttpOperation } from '../http/contract/http-contract.js';
import type { HttpContractIssue } from './http-contract-report.js';
import { fillPath } from '../http/contract/path-params.js';

/** What verifying one operation means: nothing to call, a reason to skip it, or a request. */
export type OperationPlan =
  | { readonly kind: 'missing' }
  | { readonly kind: 'skipped'; readonly reason: string }
  | {
      readonly kind: 'request';
      readonly url: URL;
      readonly headers: Readonly<Record<string, string>>;
      readonly body: unknown;
      readonly expectedStatus: number | undefined;
    };

type Outcome = { status: number | undefined; issues: HttpContractIssue[] };

const MAX_BODY_BYTES = 10 * 1024 * 1024;
const MAX_EXCERPT = 200;

/**
 * Turns an operation's fixture into the request to send, checking the fixture.
 *
 * @throws TypeError or RangeError naming `fixtures.<name>…` for a malformed fixture.
 */
export function planOperation(
  name: string,
  operation: HttpOperation,
  fixture: unknown,
  options: { readonly baseUrl: string; readonly headers?: Readonly<Record<string, string>> },
): OperationPlan {
  const field = `fixtures.${name}`;
  if (fixture === undefined) return { kind: 'missing' };
  if (typeof fixture !== 'object' || fixture === null) {
    return invalidOption(
      field,
      'expected { params?, body?, headers?, status? } or { skip }',
      TypeError,
    );
  }
  const { skip, params, body, searchParams, headers, status } = fixture as Record<string, unknown>;
  if (skip !== undefined) {
    if (typeof skip !== 'string' || skip.trim() === '') {
      invalidOption(`${field}.skip`, 'expected the reason, a non-empty string', TypeError);
    }
    return { kind: 'skipped', reason: skip };
  }
  if (
    status !== undefined &&
    !(Number.isInteger(status) && Number(status) >= 100 && Number(status) <= 599)
  ) {
    invalidOption(`${field}.status`, 'expected an HTTP status from 100 to 599');
  }
  const path = fillPath(
    operation.path,
    params as Record<string, unknown> | undefined,
    `${field}.params`,
  );
  const url = resolveUrl(options.baseUrl, path);
  for (const [key, value] of Object.entries((searchParams ?? {}) as Record<string, unknown>)) {
    url.searchParams.set(key, String(value));
  }
  const sendsBody = operation.body !== undefined && body !== undefined;
  return {
    kind: 'request',
    url,
    headers: {
      accept: 'application/json',
      ...options.headers,
      ...(headers as Record<string, string> | undefined),
      ...(sendsBody ? { 'content-type': 'application/json' } : {}),
    },
    body: sendsBody ? body : undefined,
    expectedStatus: status as number | undefined,
  };
}

/**
 * Sends the planned request with a plain `fetch` (redirects not followed) and
 * checks the answer against the operation: status, then a 2xx body against
 * the response schema.
 *
 * @throws {@link AbortError} when `signal` aborts.
 */
export async function callOperation(
  operation: HttpOperation,
  plan: Extract<OperationPlan, { kind: 'request' }>,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<Outcome> {
  if (operation.body !== undefined) {
    const checked = await validate(operation.body, plan.body);
    if (checked.issues !== undefined) {
      const issues = checked.issues.map((issue): HttpContractIssue => ({
        kind: 'fixture',
        path: issue.path,
        message: `the fixture's ${where('body', issue.path)} does not match the contract's body schema: ${issue.message}`,
      }));
      return { status: undefined, issues };
    }
  }
  const timeout = new AbortController();
  const timer = setTimeout(() => {
    timeout.abort();
  }, timeoutMs);
  const combined =
    signal === undefined ? timeout.signal : AbortSignal.any([signal, timeout.signal]);
  try {
    const response = await fetch(plan.url, {
      method: operation.method,
      headers: plan.headers,
      ...(plan.body === undefined ? {} : { body: JSON.stringify(plan.body) }),
      redirect: 'manual', // a redirect could lead anywhere: only baseUrl is called
      signal: combined,
    });
    return await checkResponse(operation, plan.expectedStatus, response);
  } catch (error) {
    if (signal?.aborted === true) throw abortErrorFrom(signal);
    const message = timeout.signal.aborted
      ? `no answer within ${timeoutMs} ms`
      : `no answer: ${describeError(error)}`;
    return { status: undefined, issues: [{ kind: 'request', path: [], message }] };
  } finally {
    clearTimeout(timer);
  }
}

async function checkResponse(
  operation: HttpOperation,
  expected: number | undefined,
  response: Response,
): Promise<Outcome> {
  const { status } = response;
  const success = status >= 200 && status < 300;
  const statusOk = expected === undefined ? success : status === expected;
  const wanted = `expected status ${expected ?? '2xx'}, got ${status}`;
  if (!success || operation.response === undefined) {
    if (statusOk) {
      await response.body?.cancel().catch(() => undefined);
      return { status, issues: [] };
    }
    const message = `${wanted}${await excerpt(response)}`;
    return { status, issues: [{ kind: 'status', path: [], message }] };
  }
  const issues: HttpContractIssue[] = statusOk
    ? []
    : [{ kind: 'status', path: [], message: wanted }];
  let body: { readonly data: unknown; readonly isJson: boolean };
  try {
    body = await readBody(responseFromFetch(response), { maxBytes: MAX_BODY_BYTES });
  } catch (error) {
    if (!isSwitchboardError(error, 'INVALID_RESPONSE')) throw error;
    return {
      status,
      issues: [...issues, { kind: 'body', path: [], message: `body: ${error.message}` }],
    };
  }
  if (body.data !== undefined && !body.isJson) {
    const type = response.headers.get('content-type') ?? 'no content type';
    const message = `body: expected JSON, got ${type}`;
    return { status, issues: [...issues, { kind: 'body', path: [], message }] };
  }
  const checked = await validate(operation.response, body.data);
  for (const issue of checked.issues ?? []) {
    issues.push({
      kind: 'body',
      path: issue.path,
      message: `${where('body', issue.path)}: ${issue.message}`,
    });
  }
  return { status, issues };
}

/** `body.items.0.sku`, or `body` for the root. */
function where(root: string, path: readonly PropertyKey[]): string {
  return [root, ...path.map(String)].join('.');
}

// The start of an unexpected answer, to say what the provider answered instead.
async function excerpt(response: Response): Promise<string> {
  const { data } = await readBody(responseFromFetch(response), {
    maxBytes: 1_024,
    truncate: true,
  });
  if (data === undefined) return '';
  const text = typeof data === 'string' ? data : JSON.stringify(data);
  return `: ${text.length > MAX_EXCERPT ? `${text.slice(0, MAX_EXCERPT - 1)}…` : text}`;
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error.cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? `${error.message} (${code})` : error.message;
}
