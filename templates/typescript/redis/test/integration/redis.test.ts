import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import type { RedisDependency } from '../../src/cache/redis.ts';
import { createRedis } from '../../src/cache/redis.ts';
import { createLogger } from '../../src/logger.ts';
import { buildApp, testConfig } from '../helpers.ts';

// Runs against a real server when REDIS_URL is set (espresso's own end-to-end tests set it).
const url = process.env['REDIS_URL'];

describe('Redis (integration)', { skip: !url && 'REDIS_URL is not set' }, () => {
  let redis: RedisDependency;

  before(async () => {
    const config = testConfig({ REDIS_URL: url! });
    redis = createRedis(config, createLogger(config));
    await redis.connect();
  });

  after(async () => {
    await redis.close();
  });

  it('answers the readiness check', async () => {
    await redis.check(AbortSignal.timeout(2000));
    const { app } = buildApp({ dependencies: { redis } });
    const res = await request(app).get('/ready').expect(200);
    assert.deepEqual(res.body.checks, { redis: 'up' });
  });

  it('stores and expires values', async () => {
    const key = `espresso:probe:${process.pid}`;
    await redis.client.set(key, 'value', { expiration: { type: 'PX', value: 5000 } });
    assert.equal(await redis.client.get(key), 'value');
    assert.ok((await redis.client.pTTL(key)) > 0);
    await redis.client.del(key);
  });
});
