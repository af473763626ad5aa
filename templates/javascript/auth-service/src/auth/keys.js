import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';

/** The JWS algorithm of each key type the service signs with. */
const ALGORITHMS = { 'OKP:Ed25519': 'EdDSA', 'EC:P-256': 'ES256' };

/**
 * The RFC 7638 thumbprint of a public JWK: a key id that names the key itself.
 *
 * @param {Record<string, string>} jwk
 */
function thumbprint(jwk) {
  const members = jwk.kty === 'EC' ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y } : { crv: jwk.crv, kty: jwk.kty, x: jwk.x };
  return createHash('sha256').update(JSON.stringify(members)).digest('base64url');
}

/**
 * One signing key: its private KeyObject, algorithm, key id and the public JWK to publish.
 *
 * @param {import('node:crypto').KeyObject} privateKey
 * @param {string} [kid]
 */
function signingKey(privateKey, kid) {
  const { kty, crv, x, y } = createPublicKey(privateKey).export({ format: 'jwk' });
  const alg = ALGORITHMS[`${kty}:${crv}`];
  if (!alg) throw new Error(`AUTH_SIGNING_KEYS holds a ${kty} ${crv ?? ''} key; use Ed25519 (OKP) or P-256 (EC) keys.`);
  const jwk = y === undefined ? { kty, crv, x } : { kty, crv, x, y };
  const id = kid ?? thumbprint(jwk);
  return { privateKey, alg, kid: id, publicJwk: { ...jwk, kid: id, alg, use: 'sig' } };
}

/**
 * Reads AUTH_SIGNING_KEYS: a JSON array of private JWKs. Any problem is an error naming the
 * variable, thrown while the app is built, so a bad key stops the start-up rather than a login.
 *
 * @param {string} text
 */
function parseKeys(text) {
  let jwks;
  try {
    jwks = JSON.parse(text);
  } catch {
    throw new Error('AUTH_SIGNING_KEYS is not JSON: it must be an array of private JWKs (`npm run keygen` makes one).');
  }
  if (!Array.isArray(jwks) || jwks.length === 0) throw new Error('AUTH_SIGNING_KEYS must be a non-empty JSON array of private JWKs.');
  return jwks.map((jwk, index) => {
    if (typeof jwk?.d !== 'string') throw new Error(`AUTH_SIGNING_KEYS[${index}] is not a private JWK (it has no "d").`);
    try {
      return signingKey(createPrivateKey({ key: jwk, format: 'jwk' }), typeof jwk.kid === 'string' ? jwk.kid : undefined);
    } catch (err) {
      throw new Error(`AUTH_SIGNING_KEYS[${index}] is not a usable key: ${err.message}`, { cause: err });
    }
  });
}

/** @type {WeakMap<object, ReturnType<typeof loadKeys>>} */
const rings = new WeakMap();

/**
 * The keys of this process, made once per configuration and shared by the routes that sign
 * tokens and the one that publishes them.
 *
 * @param {{ AUTH_SIGNING_KEYS?: string }} config
 * @param {import('pino').Logger} logger
 */
export function keyRing(config, logger) {
  let ring = rings.get(config);
  if (!ring) {
    ring = loadKeys(config, logger);
    rings.set(config, ring);
  }
  return ring;
}

/**
 * @param {{ AUTH_SIGNING_KEYS?: string }} config
 * @param {import('pino').Logger} logger
 */
function loadKeys({ AUTH_SIGNING_KEYS }, logger) {
  let keys;
  if (AUTH_SIGNING_KEYS) {
    keys = parseKeys(AUTH_SIGNING_KEYS);
    const ids = new Set(keys.map((key) => key.kid));
    if (ids.size !== keys.length) throw new Error('AUTH_SIGNING_KEYS holds two keys with the same kid.');
  } else {
    // The configuration requires AUTH_SIGNING_KEYS in production: this is development or a test.
    keys = [signingKey(generateKeyPairSync('ed25519').privateKey)];
    logger.warn({ kid: keys[0].kid }, 'AUTH_SIGNING_KEYS is not set: signing with a key made at start-up; its tokens stop verifying when the process exits');
  }
  return {
    /** The key that signs new tokens. */
    current: keys[0],
    /** Every key's public half, as /.well-known/jwks.json serves them. */
    jwks: { keys: keys.map((key) => key.publicJwk) },
  };
}

/**
 * A new private JWK for AUTH_SIGNING_KEYS, with its key id.
 *
 * @param {'Ed25519' | 'P-256'} [kind]
 */
export function generateSigningJwk(kind = 'Ed25519') {
  const { privateKey } = kind === 'P-256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519');
  const { kid, alg } = signingKey(privateKey);
  return { ...privateKey.export({ format: 'jwk' }), kid, alg, use: 'sig' };
}
