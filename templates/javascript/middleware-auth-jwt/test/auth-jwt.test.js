import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import request from 'supertest';
import { ConfigError, loadConfig } from '../src/config.js';
import { authenticate, authorize } from '../src/middleware/auth-jwt.js';
import { errorHandler } from '../src/middleware/error-handler.js';

const secret = 'a-test-secret-that-is-long-enough-for-hs256';
const key = new TextEncoder().encode(secret);

function token(claims, { expires = '5m', signingKey = key, issuer } = {}) {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt();
  if (expires !== null) jwt.setExpirationTime(expires);
  if (issuer) jwt.setIssuer(issuer);
  return jwt.sign(signingKey);
}

function app(config = { JWT_SECRET: secret }) {
  const api = express();
  api.get('/read', authenticate(config), (req, res) => res.json(req.user));
  api.post('/write', authenticate(config), authorize('writer'), (_req, res) => res.status(201).end());
  api.use(errorHandler({ exposeDetails: false }));
  return api;
}

describe('JWT authentication and roles', () => {
  it('refuses a request without a Bearer token with a 401 challenge', async () => {
    const res = await request(app()).get('/read').expect(401);
    assert.equal(res.body.code, 'unauthenticated');
    assert.equal(res.headers['www-authenticate'], 'Bearer');
  });

  it('refuses tokens that are forged, expired, of the wrong issuer or not HS256', async () => {
    const forged = await token({ sub: 'u' }, { signingKey: new TextEncoder().encode('another-secret-that-is-long-enough-here') });
    const expired = await token({ sub: 'u' }, { expires: Math.floor(Date.now() / 1000) - 60 });
    const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"u"}').toString('base64url')}.`;
    for (const bad of [forged, expired, unsigned, 'not-a-jwt']) {
      const res = await request(app()).get('/read').set('Authorization', `Bearer ${bad}`).expect(401);
      assert.equal(res.body.code, 'invalid_token');
    }
    const wrongIssuer = await token({ sub: 'u' }, { issuer: 'someone-else' });
    await request(app({ JWT_SECRET: secret, JWT_ISSUER: 'us' })).get('/read').set('Authorization', `Bearer ${wrongIssuer}`).expect(401);
  });

  it('refuses a token that never expires', async () => {
    const forever = await token({ sub: 'u', roles: ['writer'] }, { expires: null });
    const res = await request(app()).get('/read').set('Authorization', `Bearer ${forever}`).expect(401);
    assert.equal(res.body.code, 'invalid_token');
  });

  it('allows JWT_CLOCK_TOLERANCE_SECONDS of clock skew after exp, and no more', async () => {
    const now = Math.floor(Date.now() / 1000);
    const config = { JWT_SECRET: secret, JWT_CLOCK_TOLERANCE_SECONDS: 30 };
    const justExpired = await token({ sub: 'u' }, { expires: now - 10 });
    await request(app(config)).get('/read').set('Authorization', `Bearer ${justExpired}`).expect(200);
    const longExpired = await token({ sub: 'u' }, { expires: now - 40 });
    await request(app(config)).get('/read').set('Authorization', `Bearer ${longExpired}`).expect(401);
  });

  it('the configuration refuses a JWT_SECRET shorter than 32 characters', () => {
    assert.throws(() => loadConfig({ NODE_ENV: 'test', JWT_SECRET: 'x'.repeat(31) }), (err) => err instanceof ConfigError && /JWT_SECRET/.test(err.message));
    assert.doesNotThrow(() => loadConfig({ NODE_ENV: 'test', JWT_SECRET: 'x'.repeat(32) }));
  });

  it('exposes the verified user and checks roles', async () => {
    const reader = await token({ sub: 'reader-1', roles: ['reader'] });
    const writer = await token({ sub: 'writer-1', roles: ['writer'] });
    const res = await request(app()).get('/read').set('Authorization', `Bearer ${reader}`).expect(200);
    assert.deepEqual(res.body, { id: 'reader-1', roles: ['reader'] });
    const denied = await request(app()).post('/write').set('Authorization', `Bearer ${reader}`).expect(403);
    assert.equal(denied.body.code, 'forbidden');
    await request(app()).post('/write').set('Authorization', `Bearer ${writer}`).expect(201);
  });

  it('refuses everything when JWT_SECRET is missing or too short', async () => {
    const valid = await token({ sub: 'u', roles: ['writer'] });
    for (const config of [{}, { JWT_SECRET: 'short' }]) {
      await request(app(config)).get('/read').set('Authorization', `Bearer ${valid}`).expect(401);
    }
  });
});

/**
 * The problems loadConfig finds in `env`, none when it passes.
 *
 * @param {Record<string, string>} env
 */
function configProblems(env) {
  try {
    loadConfig(env);
    return [];
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems;
  }
}

/**
 * An issuer on loopback: key pairs whose public halves it serves as a JWKS, and a count of the
 * fetches, so a test can rotate keys and see when the service refetched.
 */
async function jwksIssuer() {
  const keys = [];
  const state = { fetches: 0, status: 200 };
  const server = createServer((_req, res) => {
    state.fetches += 1;
    res.writeHead(state.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: keys.map((k) => k.jwk) }));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}/.well-known/jwks.json`;
  const addKey = async (kid, alg = 'EdDSA') => {
    const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
    const published = { kid, alg, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
    keys.push(published);
    return published;
  };
  const sign = ({ kid, alg, privateKey }, claims, expires = '5m') =>
    new SignJWT(claims).setProtectedHeader({ alg, kid }).setIssuedAt().setExpirationTime(expires).sign(privateKey);
  return { url, state, keys, addKey, sign, close: () => new Promise((resolve) => server.close(resolve)) };
}

describe('JWT authentication against a JWKS (JWT_JWKS_URL)', () => {
  let keys;
  before(async () => {
    keys = await jwksIssuer();
  });
  after(() => keys.close());

  it('verifies EdDSA and ES256 tokens by key id with the published public keys', async () => {
    const ed = await keys.addKey('ed-1');
    const ec = await keys.addKey('ec-1', 'ES256');
    const api = app({ JWT_JWKS_URL: keys.url, JWT_JWKS_COOLDOWN_SECONDS: 0 });
    for (const signer of [ed, ec]) {
      const res = await request(api).get('/read').set('Authorization', `Bearer ${await keys.sign(signer, { sub: signer.kid, roles: ['writer'] })}`).expect(200);
      assert.deepEqual(res.body, { id: signer.kid, roles: ['writer'] });
    }
  });

  it('refuses a token signed by a key the JWKS does not publish, or with the shared secret', async () => {
    const api = app({ JWT_JWKS_URL: keys.url, JWT_SECRET: secret, JWT_JWKS_COOLDOWN_SECONDS: 0 });
    const { privateKey } = await generateKeyPair('EdDSA');
    const stranger = await keys.sign({ kid: 'ed-1', alg: 'EdDSA', privateKey }, { sub: 'u' });
    const unknownKid = await keys.sign({ kid: 'nobody', alg: 'EdDSA', privateKey }, { sub: 'u' });
    const hs256 = await token({ sub: 'u' });
    for (const bad of [stranger, unknownKid, hs256]) {
      const res = await request(api).get('/read').set('Authorization', `Bearer ${bad}`).expect(401);
      assert.equal(res.body.code, 'invalid_token');
    }
  });

  it('fetches the set once for many requests, and again when a token names a new key id', async () => {
    const api = app({ JWT_JWKS_URL: keys.url, JWT_JWKS_COOLDOWN_SECONDS: 0 });
    const [first] = keys.keys;
    const fetches = keys.state.fetches;
    for (let i = 0; i < 5; i += 1) {
      await request(api).get('/read').set('Authorization', `Bearer ${await keys.sign(first, { sub: 'u' })}`).expect(200);
    }
    assert.ok(keys.state.fetches <= fetches + 1, 'the key set is cached');
    const rotated = await keys.addKey('ed-2');
    await request(api).get('/read').set('Authorization', `Bearer ${await keys.sign(rotated, { sub: 'u' })}`).expect(200);
    assert.ok(keys.state.fetches > fetches, 'an unknown key id refetched the set');
    await request(api).get('/read').set('Authorization', `Bearer ${await keys.sign(first, { sub: 'u' })}`).expect(200);
  });

  it('answers 503, not 401, while the JWKS cannot be fetched', async () => {
    const down = await jwksIssuer();
    await down.close();
    const gone = await down.addKey('gone');
    const res = await request(app({ JWT_JWKS_URL: down.url })).get('/read').set('Authorization', `Bearer ${await down.sign(gone, { sub: 'u' })}`).expect(503);
    assert.equal(res.body.code, 'jwks_unavailable');
    assert.equal(res.headers['retry-after'], '5');
    const failing = await jwksIssuer();
    failing.state.status = 500;
    const other = await failing.addKey('k');
    await request(app({ JWT_JWKS_URL: failing.url })).get('/read').set('Authorization', `Bearer ${await failing.sign(other, { sub: 'u' })}`).expect(503);
    await failing.close();
  });

  it('the configuration needs JWT_SECRET in production only when JWT_JWKS_URL is unset', () => {
    assert.ok(configProblems({ NODE_ENV: 'production' }).some((p) => p.startsWith('JWT_SECRET is required when NODE_ENV is production unless JWT_JWKS_URL is set')));
    assert.ok(!configProblems({ NODE_ENV: 'production', JWT_JWKS_URL: keys.url }).some((p) => p.startsWith('JWT_SECRET')));
    assert.ok(configProblems({ NODE_ENV: 'test', JWT_JWKS_URL: 'not a url' }).some((p) => p.startsWith('JWT_JWKS_URL')));
  });
});
