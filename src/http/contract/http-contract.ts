import type { HttpMethod } from '../service-client-options.js';
import { invalidOption, nameOption } from '../../internal/options.js';
import { isStandardSchema, type StandardSchemaV1 } from '../../standard-schema.js';
import {
  createContractClient,
  type ContractClient,
  type ContractRequester,
} from './contract-client.js';

/**
 * One operation a consumer relies on: its method, its path template (`:name`
 * segments are parameters), the body it sends and the response it reads.
 * Schemas are zod 4 or any Standard Schema.
 *
 * @example
 * import type { HttpOperation } from 'switchboard';
 * import { z } from 'zod';
 * const getUser = {
 *   method: 'GET',
 *   path: '/users/:id',
 *   response: z.object({ id: z.number(), email: z.string() }),
 * } satisfies HttpOperation;
 */
export type HttpOperation = {
  readonly method: HttpMethod;
  /** Starts with `/`; `:name` segments are filled from `params`, URI-encoded. No query string. */
  readonly path: string;
  /** The JSON body the consumer sends. @default no body */
  readonly body?: StandardSchemaV1;
  /** What the consumer reads from a 2xx answer. @default not checked (the client resolves to `unknown`) */
  readonly response?: StandardSchemaV1;
};

/**
 * A contract's operations, by name.
 *
 * @example
 * import type { HttpOperations } from 'switchboard';
 * const operations: HttpOperations = { health: { method: 'GET', path: '/health' } };
 */
export type HttpOperations = { readonly [name: string]: HttpOperation };

/**
 * What a consumer declares it needs from a provider, made by
 * {@link defineHttpContract}. The same object gives the consumer a typed
 * client and the provider `verifyHttpContract`.
 *
 * @example
 * import { defineHttpContract, type HttpContract } from 'switchboard';
 * const contract: HttpContract = defineHttpContract('auth', { health: { method: 'GET', path: '/health' } });
 * contract.service; // 'auth'
 */
export type HttpContract<Operations extends HttpOperations = HttpOperations> = {
  /** The provider's name (how the consumer's registry knows it). */
  readonly service: string;
  readonly operations: Operations;
  /**
   * A typed client over `serviceClient` (a `ServiceClient` for the provider):
   * one method per operation, responses validated by the operation's schema.
   */
  client(serviceClient: ContractRequester): ContractClient<Operations>;
};

const METHODS = new Set<string>(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * Declares what a consumer relies on from `service`. Path parameters, bodies
 * and responses are typed from the declaration (`'/users/:id'` needs
 * `params: { id }`), so the consumer's client and the provider's verification
 * can never disagree about it.
 *
 * @throws TypeError naming the field when an operation is malformed.
 * @example
 * import { defineHttpContract } from 'switchboard';
 * import { z } from 'zod';
 * export const authContract = defineHttpContract('auth', {
 *   getUser: { method: 'GET', path: '/users/:id', response: z.object({ id: z.number(), email: z.string() }) },
 *   verifyToken: {
 *     method: 'POST',
 *     path: '/tokens/verify',
 *     body: z.object({ token: z.string() }),
 *     response: z.object({ active: z.boolean() }),
 *   },
 * });
 */
export function defineHttpContract<const Operations extends HttpOperations>(
  service: string,
  operations: Operations,
): HttpContract<Operations> {
  nameOption('service', service);
  if (typeof operations !== 'object' || (operations as unknown) === null) {
    invalidOption('operations', 'expected an object of operations by name', TypeError);
  }
  const checked: Record<string, HttpOperation> = {};
  for (const [name, operation] of Object.entries(operations)) {
    checked[name] = checkOperation(`operations.${name}`, operation);
  }
  if (Object.keys(checked).length === 0) {
    invalidOption('operations', 'expected at least one operation', TypeError);
  }
  const contract: HttpContract<Operations> = Object.freeze({
    service,
    operations: Object.freeze(checked) as Operations,
    client: (serviceClient: ContractRequester) => createContractClient(contract, serviceClient),
  });
  return contract;
}

function checkOperation(field: string, operation: unknown): HttpOperation {
  if (typeof operation !== 'object' || operation === null) {
    invalidOption(field, 'expected { method, path, body?, response? }', TypeError);
  }
  const { method, path, body, response } = operation as Record<string, unknown>;
  if (typeof method !== 'string' || !METHODS.has(method)) {
    invalidOption(`${field}.method`, `expected one of ${[...METHODS].join(', ')}`, TypeError);
  }
  if (typeof path !== 'string' || !path.startsWith('/') || path.startsWith('//')) {
    invalidOption(`${field}.path`, 'expected a path starting with a single "/"', TypeError);
  }
  if (/[?#]/.test(path)) {
    invalidOption(`${field}.path`, 'expected no query string or fragment', TypeError);
  }
  for (const [key, schema] of [
    ['body', body],
    ['response', response],
  ] as const) {
    if (schema !== undefined && !isStandardSchema(schema)) {
      invalidOption(`${field}.${key}`, 'expected a Standard Schema (zod 4, valibot…)', TypeError);
    }
  }
  return Object.freeze({ ...(operation as HttpOperation) });
}
