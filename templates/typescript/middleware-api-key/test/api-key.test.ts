import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import request from 'supertest';
import { buildApp } from './helpers.ts';

const env = { API_KEYS: 'key-one, key-two' };

describe('API key', () => {
  it('refuses /api/v1 without a key or with a wrong one, as a 401 problem', async () => {
    const { app } = buildApp({ env });
    for (const key of [undefined, 'nope', 'key-one-but-longer']) {
      const req = request(app).get('/api/v1/anything');
      const res = await (key ? req.set('X-API-Key', key) : req).expect(401);
      assert.equal(res.body.code, 'invalid_api_key');
    }
  });

  it('lets every listed key through', async () => {
    const { app } = buildApp({ env });
    for (const key of ['key-one', 'key-two']) {
      // Past the key check, an unknown path is the router's 404.
      await request(app).get('/api/v1/anything').set('X-API-Key', key).expect(404);
    }
  });

  it('leaves probes, metrics and the OpenAPI document open', async () => {
    const { app } = buildApp({ env });
    for (const path of ['/live', '/ready', '/health', '/metrics', '/openapi.json']) {
      await request(app).get(path).expect(200);
    }
  });

  it('redacts the key in logs', async () => {
    const { redactedPaths } = await import('../src/logger.ts');
    assert.ok(redactedPaths.includes('req.headers["x-api-key"]'));
  });
});
