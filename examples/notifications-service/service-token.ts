import type { ContractClient, ContractRequester } from 'switchboard';
import { notificationsAuthContract } from '../contracts/auth-contract.js';

/** A service's own client id and secret at the auth service. */
export type ClientCredentials = { readonly clientId: string; readonly clientSecret: string };

/**
 * This service's access token (OAuth 2.0 client credentials), fetched from
 * the auth service when first needed, through the typed client of the
 * notifications service's contract with auth over a `ServiceClient`, and
 * reused until shortly before it expires. Concurrent callers share one fetch.
 */
export class ServiceToken {
  readonly #auth: ContractClient<(typeof notificationsAuthContract)['operations']>;
  readonly #credentials: ClientCredentials;
  #current: { readonly token: string; readonly renewAt: number } | undefined;
  #fetching: Promise<string> | undefined;

  constructor(client: ContractRequester, credentials: ClientCredentials) {
    this.#auth = notificationsAuthContract.client(client);
    this.#credentials = credentials;
  }

  get(): Promise<string> {
    const current = this.#current;
    if (current !== undefined && Date.now() < current.renewAt)
      return Promise.resolve(current.token);
    this.#fetching ??= this.#fetch().finally(() => {
      this.#fetching = undefined;
    });
    return this.#fetching;
  }

  /** Forgets the token (the auth service refused it: e.g. it restarted with new keys). */
  invalidate(): void {
    this.#current = undefined;
  }

  async #fetch(): Promise<string> {
    const { access_token: token, expires_in: expiresIn } = await this.#auth.issueServiceToken({
      body: {
        grant_type: 'client_credentials',
        client_id: this.#credentials.clientId,
        client_secret: this.#credentials.clientSecret,
      },
      // Asking for a token twice does no harm: safe to retry.
      idempotencyKey: true,
    });
    // Renewed a minute early (or halfway, for short-lived tokens).
    const marginMs = Math.min(60_000, (expiresIn * 1_000) / 2);
    this.#current = { token, renewAt: Date.now() + expiresIn * 1_000 - marginMs };
    return token;
  }
}
