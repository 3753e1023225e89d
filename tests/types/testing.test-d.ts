import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import {
  ProductEvents,
  ServiceClient,
  ServiceRegistry,
  defineHttpContract,
  isSwitchboardError,
  type ContractViolationError,
  type PathParamNames,
  type PathParams,
} from 'switchboard';
import {
  checkEventCompatibility,
  eventSchemaSnapshot,
  verifyHttpContract,
  type EventCompatibilityReport,
  type HttpContractReport,
} from 'switchboard/testing';

const contract = defineHttpContract('auth', {
  getUser: {
    method: 'GET',
    path: '/users/:id',
    response: z.object({ id: z.number(), email: z.string() }),
  },
  getPost: { method: 'GET', path: '/users/:userId/posts/:postId' },
  verifyToken: {
    method: 'POST',
    path: '/tokens/verify',
    body: z.object({ token: z.string(), audience: z.string().default('api') }),
    response: z.object({ active: z.boolean() }),
  },
  health: { method: 'GET', path: '/health', response: z.literal('ok') },
});

const registry = ServiceRegistry.fromConfig({ auth: 'http://127.0.0.1:1' });
const client = contract.client(new ServiceClient('auth', { registry }));

describe('path parameters', () => {
  it('are inferred from the template', () => {
    expectTypeOf<PathParamNames<'/users/:id/posts/:postId'>>().toEqualTypeOf<'id' | 'postId'>();
    expectTypeOf<PathParamNames<'/health'>>().toEqualTypeOf<never>();
    expectTypeOf<PathParams<'/users/:id'>>().toEqualTypeOf<{ readonly id: string | number }>();
    expectTypeOf<PathParams<string>>().toEqualTypeOf<Readonly<Record<string, string | number>>>();
  });

  it('are required by the client, by name', () => {
    void client.getPost({ params: { userId: 1, postId: 'p-1' } });
    // @ts-expect-error: postId is missing
    void client.getPost({ params: { userId: 1 } });
    // @ts-expect-error: no such parameter
    void client.getUser({ params: { userId: 1 } });
    // @ts-expect-error: params are required
    void client.getUser();
  });
});

describe('contract client', () => {
  it('resolves to the response schema output, or unknown without one', () => {
    expectTypeOf(client.getUser({ params: { id: 7 } })).toEqualTypeOf<
      Promise<{ id: number; email: string }>
    >();
    expectTypeOf(client.getPost({ params: { userId: 1, postId: 2 } })).toEqualTypeOf<
      Promise<unknown>
    >();
    expectTypeOf(client.health()).toEqualTypeOf<Promise<'ok'>>();
  });

  it('takes the body schema input, and the usual request options', () => {
    void client.verifyToken({
      body: { token: 't' },
      signal: AbortSignal.timeout(1_000),
      token: 'jwt',
    });
    // @ts-expect-error: the body is required
    void client.verifyToken({});
    // @ts-expect-error: token is a string
    void client.verifyToken({ body: { token: 1 } });
    // @ts-expect-error: json and schema come from the contract
    void client.health({ schema: z.string() });
    expectTypeOf(client).not.toHaveProperty('deleteUser');
  });
});

describe('verifyHttpContract', () => {
  it('types fixtures from the contract', () => {
    const fixtures = {
      getUser: { params: { id: 1 } },
      getPost: { params: { userId: 1, postId: 2 }, status: 404 },
      verifyToken: { body: { token: 't' } },
      health: { skip: 'not deployed here' },
    };
    expectTypeOf(verifyHttpContract(contract, { baseUrl: 'http://x', fixtures })).toEqualTypeOf<
      Promise<HttpContractReport>
    >();
    void verifyHttpContract(contract, {
      baseUrl: 'http://x',
      // @ts-expect-error: id is the parameter's name
      fixtures: { getUser: { params: { userId: 1 } } },
    });
    void verifyHttpContract(contract, {
      baseUrl: 'http://x',
      // @ts-expect-error: the body's token is a string
      fixtures: { verifyToken: { body: { token: 1 } } },
    });
    // @ts-expect-error: no such operation
    void verifyHttpContract(contract, { baseUrl: 'http://x', fixtures: { nope: { skip: 'x' } } });
  });

  it('narrows its error by code', () => {
    const error: unknown = new Error();
    if (isSwitchboardError(error, 'CONTRACT_VIOLATION')) {
      expectTypeOf(error).toEqualTypeOf<ContractViolationError>();
      expectTypeOf(error.violations[0]?.where).toEqualTypeOf<string | undefined>();
    }
  });
});

describe('event compatibility', () => {
  it('takes definitions and catalogues, and reports typed changes', () => {
    const snapshot = eventSchemaSnapshot([ProductEvents, ProductEvents.created]);
    expectTypeOf(
      checkEventCompatibility(snapshot, snapshot),
    ).toEqualTypeOf<EventCompatibilityReport>();
    // @ts-expect-error: not a definition
    eventSchemaSnapshot([{ type: 'x' }]);
  });
});
