import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import request from 'supertest';
import { buildApp, testAuth } from './helpers.ts';

describe('rate limit', () => {
  it('answers 429 problem+json once a client has used its budget, with RateLimit headers', async () => {
    const { app } = buildApp({ env: { RATE_LIMIT_MAX: '2' } });
    const { headers } = testAuth();
    const first = await request(app).get('/api/v1/anything').set(headers);
    assert.notEqual(first.status, 429);
    assert.match(first.headers['ratelimit'] ?? '', /limit=2/);
    await request(app).get('/api/v1/anything').set(headers);
    const limited = await request(app).get('/api/v1/anything').set(headers).expect(429);
    assert.equal(limited.body.code, 'rate_limited');
    assert.match(limited.headers['content-type'] ?? '', /^application\/problem\+json/);
  });

  it('never limits probes', async () => {
    const { app } = buildApp({ env: { RATE_LIMIT_MAX: '1' } });
    for (let i = 0; i < 3; i++) await request(app).get('/live').expect(200);
  });
});
