import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import request from 'supertest';
import express from 'express';
import type { ErrorRequestHandler } from 'express';
import { rateLimiter } from '../src/middleware/rate-limit.ts';

/** Answers the limiter's error with its status and code. */
const answer: ErrorRequestHandler = (err: { status: number; code: string }, _req, res, _next) => res.status(err.status).json({ code: err.code });

// Against a real server when REDIS_URL is set (espresso's own end-to-end tests set it).
describe('rate limit in Redis (integration)', { skip: !process.env['REDIS_URL'] && 'REDIS_URL is not set' }, () => {
  it('shares the count between instances of the limiter', async () => {
    const { createClient } = await import('redis');
    const client = await createClient({ url: process.env['REDIS_URL'] ?? '' }).connect();
    try {
      const config = { RATE_LIMIT_WINDOW_MS: 60000, RATE_LIMIT_MAX: 2 };
      // Two apps stand for two replicas; a unique forwarded address keeps runs apart.
      const replica = () => {
        const app = express();
        app.set('trust proxy', true);
        app.use(rateLimiter(config, { client }));
        app.get('/', (_req, res) => res.json({ ok: true }));
        app.use(answer);
        return app;
      };
      const ip = `10.${process.pid % 250}.${Date.now() % 250}.7`;
      const [one, two] = [replica(), replica()];
      await request(one).get('/').set('X-Forwarded-For', ip).expect(200);
      await request(two).get('/').set('X-Forwarded-For', ip).expect(200);
      const limited = await request(one).get('/').set('X-Forwarded-For', ip).expect(429);
      assert.equal(limited.body.code, 'rate_limited');
    } finally {
      await client.close();
    }
  });
});
