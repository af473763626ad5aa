import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import express from 'express';
import type { RequestHandler } from 'express';
import request from 'supertest';
import { requestTimeout } from '../src/middleware/request-timeout.ts';
import { buildApp } from './helpers.ts';

function appWithHandler(handler: RequestHandler, limit = 100) {
  const app = express();
  app.use(requestTimeout({ REQUEST_HANDLER_TIMEOUT_MS: limit }));
  app.get('/work', handler);
  return app;
}

describe('request timeout', () => {
  it('answers 503 problem+json when a handler runs too long, and aborts res.locals.signal', async () => {
    let aborted: boolean | undefined;
    const app = appWithHandler(async (_req, res) => {
      await sleep(300, undefined, { signal: res.locals.signal }).catch(() => {});
      aborted = res.locals.signal?.aborted;
      if (!res.headersSent) res.json({ late: true });
    });
    const res = await request(app).get('/work').expect(503);
    assert.match(res.headers['content-type'] ?? '', /^application\/problem\+json/);
    assert.equal(res.body.code, 'request_timeout');
    await sleep(50);
    assert.equal(aborted, true);
  });

  it('leaves handlers that finish in time alone', async () => {
    const app = appWithHandler((_req, res) => res.json({ ok: true }));
    assert.deepEqual((await request(app).get('/work').expect(200)).body, { ok: true });
  });

  it('is part of the service, configured by REQUEST_HANDLER_TIMEOUT_MS', async () => {
    const { app, config } = buildApp({ env: { REQUEST_HANDLER_TIMEOUT_MS: '2500' } });
    assert.equal(config.REQUEST_HANDLER_TIMEOUT_MS, 2500);
    await request(app).get('/live').expect(200);
  });
});
