import { describe, expect, it } from 'vitest';
import { assertHttpContract } from 'switchboard/testing';
import {
  notificationsAuthContract,
  productAuthContract,
  productAuthKeysContract,
} from '../../examples/contracts/auth-contract.js';
import { NOTIFIER, call, recordingBus, registry, signUp, startAuth } from './helpers.js';

// The provider's side: the real auth service, checked against what each of
// its consumers declared it relies on. A renamed, retyped or dropped field
// that a consumer reads fails here, in the auth service's own suite, before
// any consumer is deployed against it.

async function startRealAuth() {
  return startAuth({ registry: registry(), bus: recordingBus() });
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe("the auth service honours its consumers' contracts", () => {
  it("the product service: a creator read with another user's token, the caller's own permissions, the keys", async () => {
    const auth = await startRealAuth();
    const creator = await signUp(auth, 'bob');
    const caller = await signUp(auth, 'ada');

    const report = await assertHttpContract(productAuthContract, {
      baseUrl: auth.baseUrl,
      fixtures: {
        getUser: { params: { id: creator.id }, headers: bearer(caller.token) },
        getUserPermissions: { params: { id: caller.id }, headers: bearer(caller.token) },
      },
    });
    expect(report.results.map(({ operation, status }) => [operation, status])).toEqual([
      ['getUser', 200],
      ['getUserPermissions', 200],
    ]);

    // The JWKS is at the origin, outside the API base path.
    await assertHttpContract(productAuthKeysContract, {
      baseUrl: auth.url,
      fixtures: { keys: {} },
    });
  });

  it('the notifications service: its client credentials grant, and a user read with its token', async () => {
    const auth = await startRealAuth();
    const user = await signUp(auth, 'ada');
    const grant = {
      grant_type: 'client_credentials',
      client_id: NOTIFIER.clientId,
      client_secret: NOTIFIER.clientSecret,
    } as const;
    const issued = await call('POST', `${auth.baseUrl}/oauth/token`, { json: grant });
    const serviceToken = String(issued.body['access_token']);

    await assertHttpContract(notificationsAuthContract, {
      baseUrl: auth.baseUrl,
      fixtures: {
        issueServiceToken: { body: grant },
        getUser: { params: { id: user.id }, headers: bearer(serviceToken) },
      },
    });
  });
});
