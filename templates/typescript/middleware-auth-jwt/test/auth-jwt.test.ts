import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import express from 'express';
import { SignJWT } from 'jose';
import request from 'supertest';
import { ConfigError, loadConfig } from '../src/config.ts';
import { authenticate, authorize } from '../src/middleware/auth-jwt.ts';
import type { JwtConfig } from '../src/middleware/auth-jwt.ts';
import { errorHandler } from '../src/middleware/error-handler.ts';

const secret = 'a-test-secret-that-is-long-enough-for-hs256';
const key = new TextEncoder().encode(secret);

function token(claims: Record<string, unknown>, { expires = '5m', signingKey = key, issuer }: { expires?: string | number | null; signingKey?: Uint8Array; issuer?: string } = {}) {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt();
  if (expires !== null) jwt.setExpirationTime(expires);
  if (issuer) jwt.setIssuer(issuer);
  return jwt.sign(signingKey);
}

function app(config: JwtConfig = { JWT_SECRET: secret }) {
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
    assert.throws(
      () => loadConfig({ NODE_ENV: 'test', JWT_SECRET: 'x'.repeat(31) }),
      (err) => err instanceof ConfigError && /JWT_SECRET/.test(err.message),
    );
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
