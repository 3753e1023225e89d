import type { ServiceClient } from '../service-client.js';
import type { RequestOptions } from '../service-client-options.js';
import type { InferInput, InferOutput, StandardSchemaV1 } from '../../standard-schema.js';
import type { HttpContract, HttpOperation, HttpOperations } from './http-contract.js';
import { fillPath, type PathParamNames, type PathParams } from './path-params.js';

type Simplify<T> = { [K in keyof T]: T[K] } & {};

type ParamsPart<Path extends string> = string extends Path
  ? { readonly params?: PathParams<Path> }
  : [PathParamNames<Path>] extends [never]
    ? unknown
    : { readonly params: PathParams<Path> };

type BodyPart<Operation extends HttpOperation> = Operation extends {
  readonly body: infer Body extends StandardSchemaV1;
}
  ? { readonly body: InferInput<Body> }
  : unknown;

/**
 * What an operation's request needs: `params` when its path has `:name`
 * segments, `body` when it declares a body schema.
 *
 * @example
 * import type { OperationRequest } from 'switchboard';
 * type GetUser = OperationRequest<{ method: 'GET'; path: '/users/:id' }>; // { readonly params: { readonly id: string | number } }
 */
export type OperationRequest<Operation extends HttpOperation> = Simplify<
  ParamsPart<Operation['path']> & BodyPart<Operation>
>;

/**
 * What an operation's call resolves to: its response schema's output, else `unknown`.
 *
 * @example
 * import type { OperationResponse } from 'switchboard';
 * import type { z } from 'zod';
 * type Ok = OperationResponse<{ method: 'GET'; path: '/ok'; response: z.ZodBoolean }>; // boolean
 */
export type OperationResponse<Operation extends HttpOperation> = Operation extends {
  readonly response: infer Response extends StandardSchemaV1;
}
  ? InferOutput<Response>
  : unknown;

/**
 * The `ServiceClient` request options a contract call passes through (all but
 * `json` and `schema`, which come from the contract).
 *
 * @example
 * import type { ContractCallOptions } from 'switchboard';
 * const options: ContractCallOptions = { token: 'a-jwt', signal: AbortSignal.timeout(1_000) };
 */
export type ContractCallOptions = Omit<RequestOptions, 'json' | 'schema'>;

/**
 * One method of a {@link ContractClient}; its argument is optional when the
 * operation needs neither `params` nor `body`.
 *
 * @example
 * import type { ContractMethod } from 'switchboard';
 * type Health = ContractMethod<{ method: 'GET'; path: '/health' }>; // (input?: ContractCallOptions) => Promise<unknown>
 */
export type ContractMethod<Operation extends HttpOperation> =
  object extends OperationRequest<Operation>
    ? (
        input?: Simplify<OperationRequest<Operation> & ContractCallOptions>,
      ) => Promise<OperationResponse<Operation>>
    : (
        input: Simplify<OperationRequest<Operation> & ContractCallOptions>,
      ) => Promise<OperationResponse<Operation>>;

/**
 * A consumer's typed client for a contract: one method per operation.
 *
 * @example
 * import type { ContractClient } from 'switchboard';
 * import type { authContract } from './auth-contract.js';
 * type AuthClient = ContractClient<(typeof authContract)['operations']>;
 */
export type ContractClient<Operations extends HttpOperations> = {
  readonly [Name in keyof Operations]: ContractMethod<Operations[Name]>;
};

/**
 * What a contract client sends its requests through: a `ServiceClient`, or
 * anything with the same `request` method.
 *
 * @example
 * import { ServiceClient, ServiceRegistry } from 'switchboard';
 * import type { ContractRequester } from 'switchboard';
 * const registry = ServiceRegistry.fromConfig({ auth: 'http://127.0.0.1:8001' });
 * const requester: ContractRequester = new ServiceClient('auth', { registry });
 */
export type ContractRequester = Pick<ServiceClient, 'request'>;

type CallInput = ContractCallOptions & { readonly params?: unknown; readonly body?: unknown };

/**
 * The typed client of `contract` over `requester` (usually a `ServiceClient`
 * for the provider); the same as `contract.client(requester)`. Each call fills
 * the path's parameters (URI-encoded), sends `body` as JSON, and validates the
 * response with the operation's schema (a `ResponseValidationError` when it
 * does not match). Retries, timeouts, breakers and `signal` are the
 * requester's.
 *
 * @throws TypeError (from a call) when a path parameter is missing.
 * @example
 * import { ServiceClient, ServiceRegistry } from 'switchboard';
 * import { createContractClient, defineHttpContract } from 'switchboard';
 * import { z } from 'zod';
 * const contract = defineHttpContract('auth', {
 *   getUser: { method: 'GET', path: '/users/:id', response: z.object({ email: z.string() }) },
 * });
 * const registry = ServiceRegistry.fromConfig({ auth: 'http://127.0.0.1:8001' });
 * const auth = createContractClient(contract, new ServiceClient('auth', { registry }));
 * const { email } = await auth.getUser({ params: { id: 7 }, signal: AbortSignal.timeout(2_000) });
 */
export function createContractClient<Operations extends HttpOperations>(
  contract: HttpContract<Operations>,
  requester: ContractRequester,
): ContractClient<Operations> {
  const methods = Object.entries(contract.operations).map(([name, operation]) => {
    const call = async (input: CallInput = {}): Promise<unknown> => {
      const { params, body, ...options } = input;
      const path = fillPath(operation.path, params as Record<string, unknown>, `${name}: params`);
      return requester.request(operation.method, path, {
        ...options,
        ...(operation.body === undefined || body === undefined ? {} : { json: body }),
        ...(operation.response === undefined ? {} : { schema: operation.response }),
      });
    };
    return [name, call] as const;
  });
  // fromEntries defines own properties, so an operation named `__proto__` stays one.
  return Object.freeze(Object.fromEntries(methods)) as ContractClient<Operations>;
}
