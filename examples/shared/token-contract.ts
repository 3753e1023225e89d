/**
 * What the services agree on about access tokens: who issues them, for whom,
 * and where the public keys are. In production these come from configuration.
 */
export const TOKEN_ISSUER = 'switchboard-examples/auth';
export const TOKEN_AUDIENCE = 'switchboard-examples';
/** Served at the auth service's origin, outside its `/api/v1` base path, as usual. */
export const JWKS_PATH = '/.well-known/jwks.json';
/** The `sub` of a service's token (client credentials): `client:<clientId>`. */
export const CLIENT_SUBJECT_PREFIX = 'client:';
