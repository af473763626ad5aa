import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import type { JsonWebKey, KeyObject } from 'node:crypto';
import type { Logger } from 'pino';

/** The JWS algorithm of each key type the service signs with. */
const ALGORITHMS: Record<string, string> = { 'OKP:Ed25519': 'EdDSA', 'EC:P-256': 'ES256' };

/** A public JWK as /.well-known/jwks.json publishes it. */
export interface PublicJwk {
  kty: string;
  crv: string;
  x: string;
  y?: string;
  kid: string;
  alg: string;
  use: 'sig';
}

/** One signing key: its private KeyObject, algorithm, key id and the public JWK to publish. */
export interface SigningKey {
  privateKey: KeyObject;
  alg: string;
  kid: string;
  publicJwk: PublicJwk;
}

/** The keys of a process: the one that signs, and every one that is published. */
export interface KeyRing {
  current: SigningKey;
  jwks: { keys: PublicJwk[] };
}

/** The RFC 7638 thumbprint of a public JWK: a key id that names the key itself. */
function thumbprint(jwk: { kty: string; crv: string; x: string; y?: string }): string {
  const members = jwk.kty === 'EC' ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y } : { crv: jwk.crv, kty: jwk.kty, x: jwk.x };
  return createHash('sha256').update(JSON.stringify(members)).digest('base64url');
}

function signingKey(privateKey: KeyObject, kid?: string): SigningKey {
  const { kty = '', crv = '', x = '', y } = createPublicKey(privateKey).export({ format: 'jwk' });
  const alg = ALGORITHMS[`${kty}:${crv}`];
  if (!alg) throw new Error(`AUTH_SIGNING_KEYS holds a ${kty} ${crv} key; use Ed25519 (OKP) or P-256 (EC) keys.`);
  const jwk = y === undefined ? { kty, crv, x } : { kty, crv, x, y };
  const id = kid ?? thumbprint(jwk);
  return { privateKey, alg, kid: id, publicJwk: { ...jwk, kid: id, alg, use: 'sig' } };
}

/**
 * Reads AUTH_SIGNING_KEYS: a JSON array of private JWKs. Any problem is an error naming the
 * variable, thrown while the app is built, so a bad key stops the start-up rather than a login.
 */
function parseKeys(text: string): SigningKey[] {
  let jwks: unknown;
  try {
    jwks = JSON.parse(text);
  } catch {
    throw new Error('AUTH_SIGNING_KEYS is not JSON: it must be an array of private JWKs (`npm run keygen` makes one).');
  }
  if (!Array.isArray(jwks) || jwks.length === 0) throw new Error('AUTH_SIGNING_KEYS must be a non-empty JSON array of private JWKs.');
  return jwks.map((jwk: unknown, index) => {
    const candidate = jwk as (JsonWebKey & { kid?: unknown }) | null;
    if (typeof candidate?.d !== 'string') throw new Error(`AUTH_SIGNING_KEYS[${index}] is not a private JWK (it has no "d").`);
    try {
      return signingKey(createPrivateKey({ key: candidate, format: 'jwk' }), typeof candidate.kid === 'string' ? candidate.kid : undefined);
    } catch (err) {
      throw new Error(`AUTH_SIGNING_KEYS[${index}] is not a usable key: ${(err as Error).message}`, { cause: err });
    }
  });
}

const rings = new WeakMap<object, KeyRing>();

/**
 * The keys of this process, made once per configuration and shared by the routes that sign
 * tokens and the one that publishes them.
 */
export function keyRing(config: { AUTH_SIGNING_KEYS?: string | undefined }, logger: Logger): KeyRing {
  let ring = rings.get(config);
  if (!ring) {
    ring = loadKeys(config, logger);
    rings.set(config, ring);
  }
  return ring;
}

function loadKeys({ AUTH_SIGNING_KEYS }: { AUTH_SIGNING_KEYS?: string | undefined }, logger: Logger): KeyRing {
  let keys: SigningKey[];
  if (AUTH_SIGNING_KEYS) {
    keys = parseKeys(AUTH_SIGNING_KEYS);
    const ids = new Set(keys.map((key) => key.kid));
    if (ids.size !== keys.length) throw new Error('AUTH_SIGNING_KEYS holds two keys with the same kid.');
  } else {
    // The configuration requires AUTH_SIGNING_KEYS in production: this is development or a test.
    keys = [signingKey(generateKeyPairSync('ed25519').privateKey)];
    logger.warn({ kid: keys[0]!.kid }, 'AUTH_SIGNING_KEYS is not set: signing with a key made at start-up; its tokens stop verifying when the process exits');
  }
  return { current: keys[0]!, jwks: { keys: keys.map((key) => key.publicJwk) } };
}

/** A new private JWK for AUTH_SIGNING_KEYS, with its key id. */
export function generateSigningJwk(kind: 'Ed25519' | 'P-256' = 'Ed25519'): JsonWebKey & { kid: string; alg: string; use: 'sig' } {
  const { privateKey } = kind === 'P-256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519');
  const { kid, alg } = signingKey(privateKey);
  return { ...privateKey.export({ format: 'jwk' }), kid, alg, use: 'sig' };
}
