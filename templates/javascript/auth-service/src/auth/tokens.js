import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { SignJWT, createLocalJWKSet, jwtVerify } from 'jose';

/** Bytes of randomness in a refresh token: 256 bits, so it cannot be guessed. */
const REFRESH_TOKEN_BYTES = 32;

/** A new opaque refresh token: what the client keeps. */
export const newRefreshToken = () => randomBytes(REFRESH_TOKEN_BYTES).toString('base64url');

/**
 * What is stored of a refresh token: its SHA-256. The token is random and long, so a fast hash
 * is enough; a leaked table holds nothing that can be presented.
 *
 * @param {string} token
 */
export const refreshTokenHash = (token) => createHash('sha256').update(token).digest();

/**
 * Access tokens: JWTs signed with the ring's current key (EdDSA or ES256, its kid in the
 * header), with `sub`, `roles`, `iss`, `aud` when configured, `iat`, `exp` and a `jti`.
 * `verify` checks one with the published keys, exactly as another service would through the
 * JWKS.
 *
 * @param {{ current: { privateKey: import('node:crypto').KeyObject, alg: string, kid: string }, jwks: { keys: object[] } }} ring
 * @param {{ AUTH_ISSUER: string, AUTH_AUDIENCE?: string, AUTH_ACCESS_TOKEN_TTL_SECONDS: number }} config
 */
export function createAccessTokens(ring, { AUTH_ISSUER, AUTH_AUDIENCE, AUTH_ACCESS_TOKEN_TTL_SECONDS }) {
  const published = createLocalJWKSet(ring.jwks);
  return {
    expiresIn: AUTH_ACCESS_TOKEN_TTL_SECONDS,
    /** @param {{ id: string, roles: string[] }} user */
    sign(user) {
      const { privateKey, alg, kid } = ring.current;
      const jwt = new SignJWT({ roles: user.roles })
        .setProtectedHeader({ alg, kid, typ: 'JWT' })
        .setSubject(user.id)
        .setIssuer(AUTH_ISSUER)
        .setIssuedAt()
        .setExpirationTime(`${AUTH_ACCESS_TOKEN_TTL_SECONDS}s`)
        .setJti(randomUUID());
      if (AUTH_AUDIENCE) jwt.setAudience(AUTH_AUDIENCE);
      return jwt.sign(privateKey);
    },
    /** @param {string} token @returns {Promise<import('jose').JWTPayload>} */
    async verify(token) {
      const { payload } = await jwtVerify(token, published, {
        algorithms: ['EdDSA', 'ES256'],
        issuer: AUTH_ISSUER,
        audience: AUTH_AUDIENCE,
        requiredClaims: ['exp', 'sub'],
      });
      return payload;
    },
  };
}
