import { jwtVerify } from 'jose';
import { HttpError } from '../errors.js';

/** Shortest JWT_SECRET accepted: HS256 keys shorter than the hash add no strength. */
const MIN_SECRET_LENGTH = 32;

/**
 * Requires `Authorization: Bearer <JWT>` signed with JWT_SECRET (HS256 only, so a token cannot
 * pick a weaker algorithm) that expires (a token without `exp` would be valid for ever), checking
 * expiry with JWT_CLOCK_TOLERANCE_SECONDS of leeway and, when configured, issuer and audience. The
 * verified user is `req.user`: `{ id, roles }` from the `sub` and `roles` claims. Failures are
 * 401 problems with a `WWW-Authenticate` challenge. Without a usable secret (development with
 * JWT_SECRET unset) every request is refused rather than let through.
 *
 * @param {{ JWT_SECRET?: string, JWT_ISSUER?: string, JWT_AUDIENCE?: string, JWT_CLOCK_TOLERANCE_SECONDS?: number }} config
 */
export function authenticate({ JWT_SECRET, JWT_ISSUER, JWT_AUDIENCE, JWT_CLOCK_TOLERANCE_SECONDS = 30 }) {
  const key = JWT_SECRET?.length >= MIN_SECRET_LENGTH ? new TextEncoder().encode(JWT_SECRET) : null;
  const options = {
    algorithms: ['HS256'],
    issuer: JWT_ISSUER,
    audience: JWT_AUDIENCE,
    requiredClaims: ['exp'],
    clockTolerance: JWT_CLOCK_TOLERANCE_SECONDS,
  };
  return async (req, res, next) => {
    const [scheme, token] = (req.get('authorization') ?? '').split(' ');
    if (scheme !== 'Bearer' || !token || !key) {
      res.set('WWW-Authenticate', 'Bearer');
      throw new HttpError(401, 'unauthenticated', 'A valid Bearer token is required.');
    }
    try {
      const { payload } = await jwtVerify(token, key, options);
      const roles = Array.isArray(payload.roles) ? payload.roles.filter((role) => typeof role === 'string') : [];
      req.user = { id: payload.sub, roles };
    } catch (err) {
      res.set('WWW-Authenticate', 'Bearer error="invalid_token"');
      throw new HttpError(401, 'invalid_token', 'The Bearer token is invalid or has expired.', { cause: err });
    }
    next();
  };
}

/**
 * Requires the authenticated user to hold at least one of `roles`; otherwise a 403 problem.
 *
 * @param {...string} roles
 */
export function authorize(...roles) {
  return (req, _res, next) => {
    const allowed = roles.some((role) => req.user?.roles.includes(role));
    next(allowed ? undefined : new HttpError(403, 'forbidden', `This needs the role ${roles.join(' or ')}.`));
  };
}
