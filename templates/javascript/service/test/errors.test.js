import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import express from 'express';
import request from 'supertest';
import { HttpError, conflict } from '../src/errors.js';
import { errorHandler } from '../src/middleware/error-handler.js';
import { buildApp, testAuth } from './helpers.js';

function appThatThrows(error, exposeDetails = false) {
  const app = express();
  app.get('/boom', async () => {
    throw error;
  });
  app.use(errorHandler({ exposeDetails }));
  return app;
}

describe('errors as application/problem+json', () => {
  it('answers an unknown route with a 404 problem carrying the request id', async () => {
    const { app } = buildApp();
    const res = await request(app).get('/nope').set('X-Request-Id', 'req-1').expect(404);
    assert.match(res.headers['content-type'], /^application\/problem\+json/);
    assert.deepEqual(res.body, {
      type: 'about:blank',
      title: 'Not Found',
      status: 404,
      detail: 'No route for GET /nope',
      instance: '/nope',
      code: 'not_found',
      requestId: 'req-1',
    });
  });

  it('answers malformed JSON with 400', async () => {
    const { app } = buildApp();
    // With the credentials the project's middleware need: they run before the body is read.
    const res = await request(app).post('/api/v1/anything').set(testAuth().headers).set('Content-Type', 'application/json').send('{"broken":').expect(400);
    assert.equal(res.body.code, 'entity_parse_failed');
  });

  it('answers a body over BODY_LIMIT with 413', async () => {
    const { app } = buildApp({ env: { BODY_LIMIT: '1kb' } });
    const res = await request(app).post('/api/v1/anything').set(testAuth().headers).send({ text: 'x'.repeat(2048) }).expect(413);
    assert.equal(res.body.code, 'entity_too_large');
  });

  it('keeps the status, code and per-field errors of an HttpError', async () => {
    const errors = [{ field: 'email', message: 'must be unique' }];
    const res = await request(appThatThrows(new HttpError(422, 'invalid', 'Bad input', { errors }))).get('/boom').expect(422);
    assert.equal(res.body.code, 'invalid');
    assert.equal(res.body.detail, 'Bad input');
    assert.deepEqual(res.body.errors, errors);
    assert.equal((await request(appThatThrows(conflict('taken'))).get('/boom').expect(409)).body.code, 'conflict');
  });

  it('never leaks messages or stack traces of unexpected errors', async () => {
    const res = await request(appThatThrows(new Error('password=hunter2'))).get('/boom').expect(500);
    assert.equal(res.body.code, 'internal_error');
    assert.doesNotMatch(JSON.stringify(res.body), /hunter2|at /);
    assert.equal(res.body.stack, undefined);
  });

  it('includes the stack trace of server errors in development only', async () => {
    const res = await request(appThatThrows(new Error('boom'), true)).get('/boom').expect(500);
    assert.match(res.body.stack, /Error: boom/);
  });
});
