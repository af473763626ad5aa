import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import pg from 'pg';
import request from 'supertest';
import { generateSigningJwk } from '../src/auth/keys.js';
import { createPasswords } from '../src/auth/passwords.js';
import { migrate } from '../src/db/migrate.js';
import { buildApp } from './helpers.js';

// The auth service's API, once in memory and once against a real PostgreSQL server when
// DATABASE_URL is set (espresso's own end-to-end tests set it), in a schema of its own.
const url = process.env.DATABASE_URL;
const schema = 'test_auth';
const password = 'correct horse battery staple';

/** The median of the durations of `times` runs of `work`, in milliseconds. */
async function medianMs(times, work) {
  const durations = [];
  for (let i = 0; i < times; i += 1) {
    const start = process.hrtime.bigint();
    await work(i);
    durations.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return durations.toSorted((a, b) => a - b)[Math.floor(times / 2)];
}

const stores = [
  ['in memory', { skip: false, connect: async () => ({}) }],
  [
    'in PostgreSQL (integration)',
    {
      skip: !url && 'DATABASE_URL is not set',
      async connect() {
        const pool = new pg.Pool({ connectionString: url, max: 4, options: `-c search_path=${schema}` });
        await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await pool.query(`CREATE SCHEMA ${schema}`);
        await migrate(pool);
        return { postgres: { pool } };
      },
    },
  ],
];

for (const [where, store] of stores) {
  describe(`auth service ${where}`, { skip: store.skip }, () => {
    let dependencies;
    let app;
    let config;
    let counter = 0;
    /** A fresh account's address, so the cases do not share accounts or failure counts. */
    const newEmail = () => `user-${(counter += 1)}-${Date.now()}@example.com`;
    const register = (email, pass = password) => request(app).post('/api/v1/auth/register').send({ email, password: pass });
    const login = (email, pass = password, target = app) => request(target).post('/api/v1/auth/login').send({ email, password: pass });
    const refresh = (refreshToken) => request(app).post('/api/v1/auth/refresh').send({ refreshToken });

    before(async () => {
      dependencies = await store.connect();
      ({ app, config } = buildApp({ dependencies, env: { AUTH_DEFAULT_ROLES: 'writer, reader' } }));
    });

    after(async () => {
      if (dependencies.postgres) {
        await dependencies.postgres.pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await dependencies.postgres.pool.end();
      }
    });

    it('registers an account with a normalised address and the default roles, once', async () => {
      const email = newEmail();
      const res = await register(email.toUpperCase()).expect(201);
      assert.equal(res.body.email, email);
      assert.deepEqual(res.body.roles, ['writer', 'reader']);
      assert.match(res.body.id, /^[0-9a-f-]{36}$/);
      assert.ok(!Number.isNaN(Date.parse(res.body.createdAt)));
      assert.equal(res.body.passwordHash, undefined);
      const again = await register(email).expect(409);
      assert.equal(again.body.code, 'conflict');
    });

    it('refuses short, long and missing passwords and bad addresses with 400', async () => {
      for (const body of [{ email: newEmail(), password: 'short' }, { email: newEmail(), password: 'x'.repeat(129) }, { email: newEmail() }, { email: 'not-an-address', password }, { email: newEmail(), password, extra: 1 }]) {
        const res = await request(app).post('/api/v1/auth/register').send(body).expect(400);
        assert.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
      }
    });

    it('logs in with tokens the published keys verify, and answers an unknown address as a wrong password', async () => {
      const email = newEmail();
      const { body: user } = await register(email).expect(201);
      const res = await login(email.toUpperCase()).expect(200);
      assert.deepEqual(Object.keys(res.body).toSorted(), ['accessToken', 'expiresIn', 'refreshToken']);
      assert.equal(res.body.expiresIn, 900);
      const jwks = await request(app).get('/.well-known/jwks.json').expect(200);
      assert.ok(jwks.body.keys.every((key) => key.kid && key.alg && key.d === undefined), 'public keys only, each with its kid');
      const header = decodeProtectedHeader(res.body.accessToken);
      assert.ok(jwks.body.keys.some((key) => key.kid === header.kid));
      const { payload } = await jwtVerify(res.body.accessToken, createLocalJWKSet(jwks.body), { issuer: config.AUTH_ISSUER, requiredClaims: ['exp', 'jti'] });
      assert.equal(payload.sub, user.id);
      assert.deepEqual(payload.roles, ['writer', 'reader']);

      const wrong = await login(email, 'not the password at all').expect(401);
      const unknown = await login(newEmail()).expect(401);
      assert.deepEqual([wrong.body.code, wrong.body.detail], [unknown.body.code, unknown.body.detail]);
    });

    it('takes as long for an unknown address as for a wrong password', async () => {
      const email = newEmail();
      await register(email).expect(201);
      const wrong = await medianMs(3, () => login(email, `wrong password ${Math.random()}`).expect(401));
      const unknown = await medianMs(3, () => login(newEmail()).expect(401));
      // Without the decoy hash an unknown address would answer in a small fraction of the time.
      assert.ok(unknown > wrong / 3, `unknown ${unknown.toFixed(1)} ms, wrong password ${wrong.toFixed(1)} ms`);
    });

    it('serves me for a valid access token only', async () => {
      const email = newEmail();
      await register(email).expect(201);
      const { body: tokens } = await login(email).expect(200);
      const me = await request(app).get('/api/v1/auth/me').set('Authorization', `Bearer ${tokens.accessToken}`).expect(200);
      assert.equal(me.body.email, email);
      const missing = await request(app).get('/api/v1/auth/me').expect(401);
      assert.equal(missing.headers['www-authenticate'], 'Bearer');
      const [head, body, signature] = tokens.accessToken.split('.');
      const tampered = `${head}.${Buffer.from(JSON.stringify({ sub: me.body.id, roles: ['admin'], exp: 9999999999 })).toString('base64url')}.${signature}`;
      for (const bad of [tampered, `${head}.${body}.${signature.slice(0, -4)}AAAA`, 'not-a-jwt']) {
        const res = await request(app).get('/api/v1/auth/me').set('Authorization', `Bearer ${bad}`).expect(401);
        assert.equal(res.body.code, 'invalid_token');
      }
    });

    it('rotates refresh tokens, and a reused one revokes every token of its login', async () => {
      const email = newEmail();
      await register(email).expect(201);
      const { body: first } = await login(email).expect(200);
      const { body: second } = await refresh(first.refreshToken).expect(200);
      assert.notEqual(second.refreshToken, first.refreshToken);
      const reused = await refresh(first.refreshToken).expect(401);
      assert.equal(reused.body.code, 'refresh_token_reused');
      const revoked = await refresh(second.refreshToken).expect(401);
      assert.equal(revoked.body.code, 'invalid_token');
      // Another login is another family, untouched.
      const { body: other } = await login(email).expect(200);
      await refresh(other.refreshToken).expect(200);
      await refresh('never-issued').expect(401);
    });

    it('lets only one of two concurrent refreshes with one token through', async () => {
      const email = newEmail();
      await register(email).expect(201);
      const { body: tokens } = await login(email).expect(200);
      const statuses = (await Promise.all([refresh(tokens.refreshToken), refresh(tokens.refreshToken)])).map((res) => res.status).toSorted((a, b) => a - b);
      assert.deepEqual(statuses, [200, 401]);
    });

    it('logs out by revoking the refresh token and its family', async () => {
      const email = newEmail();
      await register(email).expect(201);
      const { body: tokens } = await login(email).expect(200);
      await request(app).post('/api/v1/auth/logout').send({ refreshToken: tokens.refreshToken }).expect(204);
      await refresh(tokens.refreshToken).expect(401);
      await request(app).post('/api/v1/auth/logout').send({ refreshToken: 'never-issued' }).expect(204);
    });

    it('limits failed logins per account and per client with 429 and Retry-After', async () => {
      // A client of its own (the address a trusted proxy forwards), so earlier cases' failures do not count.
      const { app: strict } = buildApp({ dependencies, env: { AUTH_LOGIN_MAX_FAILURES: '2', AUTH_LOGIN_CLIENT_MAX_FAILURES: '4', TRUST_PROXY: 'true' } });
      const client = `203.0.113.${counter % 250}`;
      const attempt = (email, pass) => request(strict).post('/api/v1/auth/login').set('X-Forwarded-For', client).send({ email, password: pass });
      const email = newEmail();
      await register(email).expect(201);
      for (let i = 0; i < 2; i += 1) await attempt(email, 'a wrong password here').expect(401);
      const limited = await attempt(email, password).expect(429);
      assert.equal(limited.body.code, 'too_many_attempts');
      assert.ok(Number(limited.headers['retry-after']) > 0);
      // The client has failed twice: two more failures, for unknown addresses, reach its own limit.
      for (let i = 0; i < 2; i += 1) await attempt(newEmail(), password).expect(401);
      await attempt(newEmail(), password).expect(429);
    });
  });
}

describe('auth service keys and passwords', () => {
  it('signs with the first of AUTH_SIGNING_KEYS and publishes all of them', async () => {
    const [next, previous] = [generateSigningJwk(), generateSigningJwk('P-256')];
    const { app } = buildApp({ env: { AUTH_SIGNING_KEYS: JSON.stringify([next, previous]) } });
    const jwks = await request(app).get('/.well-known/jwks.json').expect(200);
    assert.deepEqual(jwks.body.keys.map((key) => [key.kid, key.alg]), [[next.kid, 'EdDSA'], [previous.kid, 'ES256']]);
    assert.ok(jwks.body.keys.every((key) => key.d === undefined));
    await request(app).post('/api/v1/auth/register').send({ email: 'keys@example.com', password }).expect(201);
    const { body } = await request(app).post('/api/v1/auth/login').send({ email: 'keys@example.com', password }).expect(200);
    assert.equal(decodeProtectedHeader(body.accessToken).kid, next.kid);
  });

  it('refuses to build with unusable AUTH_SIGNING_KEYS, naming the variable', () => {
    const { d: _private, ...publicOnly } = generateSigningJwk();
    for (const keys of ['not json', '[]', JSON.stringify([publicOnly]), JSON.stringify([{ kty: 'oct', k: 'AAAA', d: 'x' }])]) {
      assert.throws(() => buildApp({ env: { AUTH_SIGNING_KEYS: keys } }), /AUTH_SIGNING_KEYS/);
    }
  });

  it('stores scrypt hashes with their cost, and tells a hash made with a lower one', async () => {
    const cheap = createPasswords({ cost: 14 });
    const stored = await cheap.hash(password);
    assert.match(stored, /^\$scrypt\$ln=14,r=8,p=1\$/);
    assert.notEqual(await cheap.hash(password), stored, 'each hash has its own salt');
    const stronger = createPasswords({ cost: 15 });
    assert.equal(await stronger.verify(password, stored), true);
    assert.equal(await stronger.verify(`${password}!`, stored), false);
    assert.equal(stronger.needsRehash(stored), true);
    assert.equal(cheap.needsRehash(stored), false);
    // The same password typed with a decomposed accent is the same password (NFKC).
    assert.equal(await cheap.verify('cafe\u0301 au lait, twelve+', await cheap.hash('caf\u00e9 au lait, twelve+')), true);
  });
});
