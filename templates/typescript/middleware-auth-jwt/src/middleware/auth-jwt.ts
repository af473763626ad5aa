import { jwtVerify } from 'jose';
import type { JWTVerifyOptions } from 'jose';
import type { RequestHandler } from 'express';
import { HttpError } from '../errors.ts';

/** Shortest JWT_SECRET accepted: HS256 keys shorter than the hash add no strength. */
const MIN_SECRET_LENGTH = 32;

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
  JWT_ISSUER?: string | undefined;
  JWT_AUDIENCE?: string | undefined;
  JWT_CLOCK_TOLERANCE_SECONDS?: number | undefined;
}

/**
 * Requires `Authorization: Bearer <JWT>` signed with JWT_SECRET (HS256 only, so a token cannot
 * pick a weaker algorithm) that expires (a token without `exp` would be valid for ever), checking
 * expiry with JWT_CLOCK_TOLERANCE_SECONDS of leeway and, when configured, issuer and audience. The
 * verified user is `req.user`: `{ id, roles }` from the `sub` and `roles` claims. Failures are
 * 401 problems with a `WWW-Authenticate` challenge. Without a usable secret (development with
 * JWT_SECRET unset) every request is refused rather than let through.
 */
export function authenticate({ JWT_SECRET, JWT_ISSUER, JWT_AUDIENCE, JWT_CLOCK_TOLERANCE_SECONDS = 30 }: JwtConfig): RequestHandler {
  const key = JWT_SECRET !== undefined && JWT_SECRET.length >= MIN_SECRET_LENGTH ? new TextEncoder().encode(JWT_SECRET) : null;
  const options: JWTVerifyOptions = {
    algorithms: ['HS256'],
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
