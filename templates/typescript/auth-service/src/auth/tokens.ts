import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { SignJWT, createLocalJWKSet, jwtVerify } from 'jose';
import type { JWTPayload } from 'jose';
import type { KeyRing } from './keys.ts';

/** Bytes of randomness in a refresh token: 256 bits, so it cannot be guessed. */
const REFRESH_TOKEN_BYTES = 32;

/** A new opaque refresh token: what the client keeps. */
export const newRefreshToken = (): string => randomBytes(REFRESH_TOKEN_BYTES).toString('base64url');

/**
 * What is stored of a refresh token: its SHA-256. The token is random and long, so a fast hash
 * is enough; a leaked table holds nothing that can be presented.
 */
export const refreshTokenHash = (token: string): Buffer => createHash('sha256').update(token).digest();

/** What access tokens read of the configuration. */
export interface AccessTokenConfig {
  AUTH_ISSUER: string;
  AUTH_AUDIENCE?: string | undefined;
  AUTH_ACCESS_TOKEN_TTL_SECONDS: number;
}

/** Signs and verifies access tokens. */
export interface AccessTokens {
  expiresIn: number;
  sign(user: { id: string; roles: string[] }): Promise<string>;
  verify(token: string): Promise<JWTPayload>;
}

/**
 * Access tokens: JWTs signed with the ring's current key (EdDSA or ES256, its kid in the
 * header), with `sub`, `roles`, `iss`, `aud` when configured, `iat`, `exp` and a `jti`.
 * `verify` checks one with the published keys, exactly as another service would through the
 * JWKS.
 */
export function createAccessTokens(ring: KeyRing, { AUTH_ISSUER, AUTH_AUDIENCE, AUTH_ACCESS_TOKEN_TTL_SECONDS }: AccessTokenConfig): AccessTokens {
  const published = createLocalJWKSet(ring.jwks);
  return {
    expiresIn: AUTH_ACCESS_TOKEN_TTL_SECONDS,
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
    async verify(token) {
      const { payload } = await jwtVerify(token, published, {
        algorithms: ['EdDSA', 'ES256'],
        issuer: AUTH_ISSUER,
        ...(AUTH_AUDIENCE ? { audience: AUTH_AUDIENCE } : {}),
        requiredClaims: ['exp', 'sub'],
      });
      return payload;
    },
  };
}
