import { createRemoteJWKSet, jwtVerify } from 'jose';
import type { JWTVerifyGetKey, JWTVerifyOptions } from 'jose';
import type { RequestHandler } from 'express';
import { HttpError } from '../errors.ts';

/** Shortest JWT_SECRET accepted: HS256 keys shorter than the hash add no strength. */
const MIN_SECRET_LENGTH = 32;

/** Algorithms a JWKS key may sign with: asymmetric only, so a token cannot pick a shared secret. */
const JWKS_ALGORITHMS = ['EdDSA', 'Ed25519', 'ES256', 'RS256'];

/** jose's codes for a key set that answers but holds no key for the token: the token's fault. */
const KEY_NOT_FOUND = new Set(['ERR_JWKS_NO_MATCHING_KEY', 'ERR_JWKS_MULTIPLE_MATCHING_KEYS', 'ERR_JOSE_NOT_SUPPORTED']);

/** How long to wait for the JWKS before answering 503. */
const JWKS_TIMEOUT_MS = 5_000;

/** The key set could not be fetched (down, slow, not 200, not a JWKS): not the caller's fault. */
class KeySetUnavailable extends Error {}

/**
 * One remote key set per URL and cooldown, shared by every router that authenticates, so the
 * process fetches the set once rather than once per router.
 */
const keySets = new Map<string, JWTVerifyGetKey>();

/**
 * The verification key of a JWKS-signed token: jose caches the set for 10 minutes and refetches
 * it when a token names a key id it does not hold (the issuer rotated), at most once per
 * cooldown. Failing to fetch it is a KeySetUnavailable, told apart from a token that names no
 * published key.
 */
function keySet(url: string, cooldownSeconds: number): JWTVerifyGetKey {
  const id = `${cooldownSeconds} ${url}`;
  let key = keySets.get(id);
  if (!key) {
    const remote = createRemoteJWKSet(new URL(url), { cooldownDuration: cooldownSeconds * 1000, timeoutDuration: JWKS_TIMEOUT_MS });
    key = async (header, token) => {
      try {
        return await remote(header, token);
      } catch (err) {
        if (KEY_NOT_FOUND.has((err as { code?: string } | null)?.code ?? '')) throw err;
        throw new KeySetUnavailable(`The JWKS at ${url} could not be fetched.`, { cause: err });
      }
    };
    keySets.set(id, key);
  }
  return key;
}

/** The caller a verified token names. */
export interface AuthenticatedUser {
  id: string | undefined;
  roles: string[];
}

declare module 'express-serve-static-core' {
  interface Request {
    /** Set by authenticate() once the Bearer token is verified. */
    user?: AuthenticatedUser;
  }
}

/** What authenticate() reads of the configuration. */
export interface JwtConfig {
  JWT_SECRET?: string | undefined;
  JWT_JWKS_URL?: string | undefined;
  JWT_JWKS_COOLDOWN_SECONDS?: number | undefined;
  JWT_ISSUER?: string | undefined;
  JWT_AUDIENCE?: string | undefined;
  JWT_CLOCK_TOLERANCE_SECONDS?: number | undefined;
}

/**
 * Requires `Authorization: Bearer <JWT>` that expires (a token without `exp` would be valid for
 * ever), checking expiry with JWT_CLOCK_TOLERANCE_SECONDS of leeway and, when configured, issuer
 * and audience. The token is verified against the public keys of JWT_JWKS_URL when that is set
 * (EdDSA, ES256 or RS256, the key chosen by the token's `kid`), otherwise with JWT_SECRET
 * (HS256 only, so a token cannot pick a weaker algorithm). The verified user is `req.user`:
 * `{ id, roles }` from the `sub` and `roles` claims. Failures are 401 problems with a
 * `WWW-Authenticate` challenge; a JWKS that cannot be fetched is a 503, since the token may well
 * be good. Without a key (development with neither variable set) every request is refused
 * rather than let through.
 */
export function authenticate({ JWT_SECRET, JWT_JWKS_URL, JWT_JWKS_COOLDOWN_SECONDS = 30, JWT_ISSUER, JWT_AUDIENCE, JWT_CLOCK_TOLERANCE_SECONDS = 30 }: JwtConfig): RequestHandler {
  const secret = JWT_SECRET !== undefined && JWT_SECRET.length >= MIN_SECRET_LENGTH ? new TextEncoder().encode(JWT_SECRET) : null;
  const key = JWT_JWKS_URL ? keySet(JWT_JWKS_URL, JWT_JWKS_COOLDOWN_SECONDS) : secret;
  const options: JWTVerifyOptions = {
    algorithms: JWT_JWKS_URL ? JWKS_ALGORITHMS : ['HS256'],
    requiredClaims: ['exp'],
    clockTolerance: JWT_CLOCK_TOLERANCE_SECONDS,
    ...(JWT_ISSUER === undefined ? {} : { issuer: JWT_ISSUER }),
    ...(JWT_AUDIENCE === undefined ? {} : { audience: JWT_AUDIENCE }),
  };
  return async (req, res, next) => {
    const [scheme, token] = (req.get('authorization') ?? '').split(' ');
    if (scheme !== 'Bearer' || !token || !key) {
      res.set('WWW-Authenticate', 'Bearer');
      throw new HttpError(401, 'unauthenticated', 'A valid Bearer token is required.');
    }
    try {
      const { payload } = await jwtVerify(token, key, options);
      const roles = Array.isArray(payload['roles']) ? payload['roles'].filter((role): role is string => typeof role === 'string') : [];
      req.user = { id: payload.sub, roles };
    } catch (err) {
      if (err instanceof KeySetUnavailable) {
        res.set('Retry-After', '5');
        throw new HttpError(503, 'jwks_unavailable', 'The keys that verify tokens cannot be fetched; retry shortly.', { cause: err });
      }
      res.set('WWW-Authenticate', 'Bearer error="invalid_token"');
      throw new HttpError(401, 'invalid_token', 'The Bearer token is invalid or has expired.', { cause: err });
    }
    next();
  };
}

/** Requires the authenticated user to hold at least one of `roles`; otherwise a 403 problem. */
export function authorize(...roles: string[]): RequestHandler {
  return (req, _res, next) => {
    const allowed = roles.some((role) => req.user?.roles.includes(role));
    next(allowed ? undefined : new HttpError(403, 'forbidden', `This needs the role ${roles.join(' or ')}.`));
  };
}
