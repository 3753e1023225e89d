/**
 * What the services agree on about access tokens: who issues them, for whom,
 * and where the public keys are. In production these come from configuration.
 */
export const TOKEN_ISSUER = 'switchboard-examples/auth';
export const TOKEN_AUDIENCE = 'switchboard-examples';
/** Served at the auth service's origin, outside its `/api/v1` base path, as usual. */
export const JWKS_PATH = '/.well-known/jwks.json';
/** The only signing algorithm: a token naming another (`none`, `HS256`, …) is refused. */
export const TOKEN_ALGORITHM = 'ES256';
/** How far apart two services' clocks may be when they check `exp`, `nbf` and `iat`. */
export const TOKEN_CLOCK_TOLERANCE_SECONDS = 30;

/**
 * What every service checks when it verifies an access token with jose's
 * `jwtVerify`: the algorithm pinned (never read from the token), issuer and
 * audience, `exp` required (jose accepts a token without one unless told
 * otherwise) along with `iat` and `sub`, and a bounded clock skew.
 */
export const TOKEN_VERIFY_OPTIONS = {
  issuer: TOKEN_ISSUER,
  audience: TOKEN_AUDIENCE,
  algorithms: [TOKEN_ALGORITHM],
  requiredClaims: ['exp', 'iat', 'sub'],
  clockTolerance: TOKEN_CLOCK_TOLERANCE_SECONDS,
} as const;

/** The `sub` of a service's token (client credentials): `client:<clientId>`. */
export const CLIENT_SUBJECT_PREFIX = 'client:';
