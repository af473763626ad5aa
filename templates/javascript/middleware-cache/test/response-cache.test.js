import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import express from 'express';
import request from 'supertest';
import { responseCache } from '../src/middleware/response-cache.js';
import { packageInfo } from '../src/package-info.js';

/** A Map behind the few node-redis calls the cache makes. */
function fakeRedis() {
  const data = new Map();
  return {
    isReady: true,
    data,
    async get(key) {
      return data.get(key) ?? null;
    },
    async set(key, value) {
      data.set(key, value);
    },
    async incr(key) {
      data.set(key, String(Number(data.get(key) ?? 0) + 1));
    },
  };
}

/** An API whose answers count how often the handler really ran. */
function api(client) {
  let calls = 0;
  const app = express();
  app.use(express.json());
  app.use('/api/v1', responseCache({ CACHE_TTL_SECONDS: 60 }, client && { client }));
  app.get('/api/v1/things', (_req, res) => res.json({ calls: ++calls }));
  app.post('/api/v1/things', (_req, res) => res.status(201).json({ created: true }));
  app.get('/api/v1/others', (_req, res) => res.json({ calls: ++calls }));
  // Authenticated after the cache, as the resources' routers do it.
  app.get('/api/v1/secrets', (req, res) => {
    if (req.get('authorization') !== 'Bearer good') res.status(401).json({ title: 'unauthenticated' });
    else res.json({ secret: true, calls: ++calls });
  });
  app.get('/api/v1/keyed', (req, res) => res.json({ key: req.get('x-api-key'), calls: ++calls }));
  return app;
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('response cache', () => {
  it('serves repeated GETs from the cache', async () => {
    const app = api(fakeRedis());
    const first = await request(app).get('/api/v1/things').expect(200);
    await settle();
    const second = await request(app).get('/api/v1/things').expect(200);
    assert.equal(first.headers['x-cache'], 'MISS');
    assert.equal(second.headers['x-cache'], 'HIT');
    assert.deepEqual(second.body, first.body);
  });

  it('invalidates a resource on a write, and only that resource', async () => {
    const app = api(fakeRedis());
    await request(app).get('/api/v1/things');
    await request(app).get('/api/v1/others');
    await settle();
    await request(app).post('/api/v1/things').send({}).expect(201);
    await settle();
    assert.equal((await request(app).get('/api/v1/things')).headers['x-cache'], 'MISS');
    assert.equal((await request(app).get('/api/v1/others')).headers['x-cache'], 'HIT');
  });

  it('never answers a request with credentials from the cache, nor stores its answer', async () => {
    const redis = fakeRedis();
    const app = api(redis);
    const authed = await request(app).get('/api/v1/secrets').set('Authorization', 'Bearer good').expect(200);
    await settle();
    assert.equal(authed.headers['x-cache'], undefined);
    assert.equal([...redis.data.keys()].some((key) => key.includes('/api/v1/secrets')), false, 'an authenticated answer was stored');
    // The blocker this guards: a caller without a token got the cached answer (X-Cache: HIT).
    const anonymous = await request(app).get('/api/v1/secrets').expect(401);
    assert.notEqual(anonymous.headers['x-cache'], 'HIT');
    const again = await request(app).get('/api/v1/secrets').set('Authorization', 'Bearer good').expect(200);
    assert.equal(again.body.calls, authed.body.calls + 1, 'the token was checked again');
  });

  it('keeps each API key\'s answers apart, and never stores the key itself', async () => {
    const redis = fakeRedis();
    const app = api(redis);
    await request(app).get('/api/v1/keyed').set('X-API-Key', 'key-one');
    await settle();
    assert.equal((await request(app).get('/api/v1/keyed').set('X-API-Key', 'key-one')).headers['x-cache'], 'HIT');
    const other = await request(app).get('/api/v1/keyed').set('X-API-Key', 'key-two');
    assert.equal(other.headers['x-cache'], 'MISS');
    assert.equal(other.body.key, 'key-two');
    assert.equal([...redis.data.keys()].some((key) => key.includes('key-one')), false);
  });

  it('prefixes every key with the service name, and is not invalidated by HEAD or OPTIONS', async () => {
    const redis = fakeRedis();
    const app = api(redis);
    await request(app).get('/api/v1/things');
    await settle();
    await request(app).head('/api/v1/things');
    await request(app).options('/api/v1/things');
    await settle();
    assert.equal((await request(app).get('/api/v1/things')).headers['x-cache'], 'HIT');
    assert.ok(redis.data.size > 0);
    for (const key of redis.data.keys()) assert.ok(key.startsWith(`${packageInfo.name}:cache:`), key);
  });

  it('goes on without the cache when Redis does not answer within REDIS_COMMAND_TIMEOUT_MS', async () => {
    const stalled = { isReady: true, get: () => new Promise(() => {}), set: async () => {}, incr: async () => {} };
    const app = express();
    app.use('/api/v1', responseCache({ CACHE_TTL_SECONDS: 60, REDIS_COMMAND_TIMEOUT_MS: 100 }, { client: stalled }));
    app.get('/api/v1/things', (_req, res) => res.json({ fresh: true }));
    const started = performance.now();
    const res = await request(app).get('/api/v1/things').expect(200);
    const took = performance.now() - started;
    assert.deepEqual(res.body, { fresh: true });
    assert.ok(took >= 90 && took < 1000, `took ${Math.round(took)} ms`);
  });

  it('steps aside without Redis, or when the client asks for no-cache', async () => {
    const app = api(undefined);
    const res = await request(app).get('/api/v1/things').expect(200);
    assert.equal(res.headers['x-cache'], undefined);
    const cached = api(fakeRedis());
    const first = await request(cached).get('/api/v1/things');
    await settle();
    const fresh = await request(cached).get('/api/v1/things').set('Cache-Control', 'no-cache');
    assert.equal(fresh.headers['x-cache'], undefined);
    assert.equal(fresh.body.calls, first.body.calls + 1, 'the handler ran');
  });
});

// Against a real server when REDIS_URL is set (espresso's own end-to-end tests set it).
describe('response cache with Redis (integration)', { skip: !process.env.REDIS_URL && 'REDIS_URL is not set' }, () => {
  let client;
  after(async () => client?.close());

  it('caches and invalidates through Redis', async () => {
    const { createClient } = await import('redis');
    client = createClient({ url: process.env.REDIS_URL });
    await client.connect();
    await client.del(`${packageInfo.name}:cache:version:things`);
    const app = api(client);
    await request(app).get('/api/v1/things?probe=' + process.pid);
    await settle();
    assert.equal((await request(app).get('/api/v1/things?probe=' + process.pid)).headers['x-cache'], 'HIT');
    await request(app).post('/api/v1/things').send({});
    await settle();
    assert.equal((await request(app).get('/api/v1/things?probe=' + process.pid)).headers['x-cache'], 'MISS');
  });
});
