import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import express from 'express';
import { createClient } from 'redis';
import request from 'supertest';
import { rateLimiter } from '../src/middleware/rate-limit.ts';
import type { CountingClient } from '../src/middleware/rate-limit-store.ts';

const config = { RATE_LIMIT_WINDOW_MS: 60000, RATE_LIMIT_MAX: 5, REDIS_COMMAND_TIMEOUT_MS: 100 };

function app(client: CountingClient) {
  const api = express();
  api.use(rateLimiter(config, { client }));
  api.get('/', (_req, res) => res.json({ ok: true }));
  return api;
}

/** A port on which nothing listens any more: Redis is down. */
async function closedPort() {
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as AddressInfo;
  probe.close();
  return port;
}

describe('rate limit while Redis is down', () => {
  it('lets requests through at once while the client reconnects', async () => {
    const client = createClient({
      url: `redis://127.0.0.1:${await closedPort()}`,
      disableOfflineQueue: true,
      socket: { reconnectStrategy: () => 5000 },
    });
    client.on('error', () => {});
    client.connect().catch(() => {});
    try {
      const started = performance.now();
      for (let i = 0; i < 3; i++) await request(app(client)).get('/').expect(200);
      const took = performance.now() - started;
      assert.ok(took < 300, `3 requests took ${Math.round(took)} ms`);
    } finally {
      client.destroy();
    }
  });

  it('goes on without the count when Redis does not answer within REDIS_COMMAND_TIMEOUT_MS', async () => {
    const chain = { pTTL: () => ({ exec: () => new Promise<unknown[]>(() => {}) }) };
    const stalled: CountingClient = {
      isReady: true,
      multi: () => ({ incr: () => ({ pExpire: () => chain }) }),
      decr: async () => {},
      del: async () => {},
    };
    const started = performance.now();
    await request(app(stalled)).get('/').expect(200);
    const took = performance.now() - started;
    assert.ok(took >= 90 && took < 1000, `took ${Math.round(took)} ms`);
  });
});
