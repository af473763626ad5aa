import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import request from 'supertest';
import { createLogger } from '../src/logger.js';
import { createMetrics } from '../src/metrics.js';
import { errorHandler } from '../src/middleware/error-handler.js';
import { requestId } from '../src/middleware/request-id.js';
import { gatewayRouter } from '../src/gateway/proxy.js';
import { upstreams } from '../src/gateway/upstreams.js';
import { buildApp, freePort, testConfig } from './helpers.js';

// The gateway against real HTTP servers on loopback standing for the services behind it.

/**
 * A server on a free loopback port that answers with `handler`, counting the requests it saw.
 *
 * @param {(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse, n: number) => void} handler
 */
async function upstreamServer(handler) {
  const state = { requests: 0 };
  const server = createServer((req, res) => {
    state.requests += 1;
    void handler(req, res, state.requests);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const close = () => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(resolve));
  };
  return { url: `http://127.0.0.1:${server.address().port}`, state, close };
}

/** Answers with what it was sent: method, URL, headers and body. */
const echo = (req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': 'echo', 'keep-alive': 'timeout=5' });
    res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString() }));
  });
};

/** A gateway in front of `routes` (name, path, URL, options), built as the app builds it. */
function gateway(routes, env = {}, authenticate = null) {
  // The routes' URL variables are the test's own: the schema declares only the recorded upstreams'.
  const config = { ...testConfig({ GATEWAY_BREAKER_RESET_MS: '60000', ...env }), ...Object.fromEntries(routes.map((r) => [r.env, r.url])) };
  const logger = createLogger(config);
  const metrics = createMetrics();
  const app = express();
  app.use(requestId());
  app.use(gatewayRouter({ config, logger, metrics, upstreams: routes.map((r) => ({ protect: false, timeoutMs: 2000, ...r })), authenticate }));
  app.get('/metrics', async (_req, res) => res.type('text/plain').send(await metrics.render()));
  app.use(errorHandler({ exposeDetails: false }));
  return app;
}

// A stand-in for auth-jwt's authenticate: the token names the user.
const fakeAuthenticate = () => (req, _res, next) => {
  const token = req.get('authorization')?.replace(/^Bearer /, '');
  if (!token) {
    const err = Object.assign(new Error('A valid Bearer token is required.'), { status: 401, expose: true });
    next(err);
    return;
  }
  req.user = { id: token, roles: ['reader', 'writer'] };
  next();
};

const route = (name, url, options = {}) => ({ name, path: `/api/v1/${name}`, env: `${name.toUpperCase()}_URL`, url, ...options });

describe('API gateway', () => {
  let echoServer;
  before(async () => {
    echoServer = await upstreamServer(echo);
  });
  after(() => echoServer.close());

  it('passes the method, path, query, body and headers through unchanged, and the answer back', async () => {
    const app = gateway([route('users', echoServer.url)]);
    const res = await request(app)
      .patch('/api/v1/users/42?fields=name&x=%C3%A9')
      .set('content-type', 'application/json')
      .set('x-request-id', 'req-1234')
      .set('traceparent', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01')
      .set('connection', 'keep-alive, x-hop')
      .set('x-hop', 'dropped')
      .set('x-user-id', 'forged')
      .send('{"name":"Ada"}')
      .expect(200);
    assert.equal(res.body.method, 'PATCH');
    assert.equal(res.body.url, '/api/v1/users/42?fields=name&x=%C3%A9');
    assert.equal(res.body.body, '{"name":"Ada"}');
    const headers = res.body.headers;
    assert.equal(headers['x-request-id'], 'req-1234');
    assert.equal(headers.traceparent, '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    assert.match(headers['x-forwarded-for'], /127\.0\.0\.1$/);
    assert.equal(headers['x-forwarded-proto'], 'http');
    assert.ok(headers['x-forwarded-host']);
    assert.equal(headers['x-hop'], undefined, 'a header the Connection header names is hop-by-hop');
    assert.equal(headers['x-user-id'], undefined, 'a client cannot say who it is');
    assert.equal(res.headers['x-upstream'], 'echo');
    assert.equal(res.headers['keep-alive'], undefined);
    assert.equal(res.headers['x-request-id'], 'req-1234');
  });

  it('streams bodies both ways without buffering or parsing them', async () => {
    let release;
    const gate = new Promise((resolve) => (release = resolve));
    const slow = await upstreamServer(async (req, res) => {
      let size = 0;
      for await (const chunk of req) size += chunk.length;
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write(`received ${size}\n`);
      await gate;
      res.end('done\n');
    });
    try {
      const server = gateway([route('files', slow.url)]).listen(0, '127.0.0.1');
      await once(server, 'listening');
      // 1 MiB of JSON: ten times the BODY_LIMIT the gateway's own routes accept, so it was never parsed.
      const body = JSON.stringify({ data: 'x'.repeat(1024 * 1024) });
      const first = await new Promise((resolve, reject) => {
        const req = httpRequest({ port: server.address().port, host: '127.0.0.1', method: 'POST', path: '/api/v1/files', headers: { 'content-type': 'application/json' } }, (res) => {
          res.once('data', (chunk) => resolve({ chunk: chunk.toString(), res }));
        });
        req.on('error', reject);
        req.end(body);
      });
      // The first line arrived while the upstream still holds the rest back.
      assert.equal(first.chunk, `received ${body.length}\n`);
      release?.();
      let rest = '';
      for await (const chunk of first.res) rest += chunk;
      assert.equal(rest, 'done\n');
      server.close();
    } finally {
      release?.();
      await slow.close();
    }
  });

  it('answers 504 naming the upstream when it does not answer within its deadline', async () => {
    const stuck = await upstreamServer(() => {});
    try {
      const started = Date.now();
      const res = await request(gateway([route('slow', stuck.url, { timeoutMs: 200 })])).get('/api/v1/slow').expect(504);
      assert.equal(res.body.code, 'upstream_timeout');
      assert.match(res.body.detail, /slow/);
      assert.ok(Date.now() - started < 2000);
    } finally {
      await stuck.close();
    }
  });

  it('answers 502 naming an upstream that refuses connections, fast', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const started = Date.now();
    const res = await request(gateway([route('gone', url)])).get('/api/v1/gone/1').expect(502);
    assert.equal(res.body.code, 'bad_gateway');
    assert.match(res.body.detail, /gone/);
    assert.match(res.headers['content-type'], /^application\/problem\+json/);
    assert.ok(Date.now() - started < 1000);
  });

  it('tries a GET again after a dropped connection, and never a POST', async () => {
    const flaky = await upstreamServer((req, res, n) => {
      if (n % 2 === 1) req.socket.destroy();
      else echo(req, res);
    });
    try {
      const app = gateway([route('flaky', flaky.url)], { GATEWAY_RETRIES: '1' });
      await request(app).get('/api/v1/flaky').expect(200);
      assert.equal(flaky.state.requests, 2);
      await request(app).post('/api/v1/flaky').send({ a: 1 }).expect(502);
      assert.equal(flaky.state.requests, 3, 'the POST was sent once');
    } finally {
      await flaky.close();
    }
  });

  it('opens the circuit of an upstream that keeps failing, and answers 503 without calling it', async () => {
    // Its 500s arrive in two parts: the client gets each whole, as the upstream sent it.
    const broken = await upstreamServer((_req, res) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.write('the service ');
      setTimeout(() => res.end('is failing'), 20);
    });
    try {
      const app = gateway([route('broken', broken.url)]);
      for (let i = 0; i < 5; i += 1) {
        const failing = await request(app).get('/api/v1/broken').expect(500);
        assert.equal(failing.text, 'the service is failing');
      }
      const res = await request(app).get('/api/v1/broken').expect(503);
      assert.equal(res.body.code, 'upstream_unavailable');
      assert.ok(Number(res.headers['retry-after']) > 0);
      assert.equal(broken.state.requests, 5);
    } finally {
      await broken.close();
    }
  });

  it('verifies the callers of a protected upstream and passes on who they are', async () => {
    const app = gateway([route('accounts', echoServer.url, { protect: true }), route('public', echoServer.url)], {}, fakeAuthenticate);
    const seen = echoServer.state.requests;
    await request(app).get('/api/v1/accounts/me').expect(401);
    assert.equal(echoServer.state.requests, seen, 'a caller without a token never reaches the upstream');
    const res = await request(app).get('/api/v1/accounts/me').set('authorization', 'Bearer user-7').expect(200);
    assert.equal(res.body.headers['x-user-id'], 'user-7');
    assert.equal(res.body.headers['x-user-roles'], 'reader,writer');
    assert.equal(res.body.headers.authorization, 'Bearer user-7', 'the token goes on, for the service to verify too');
    const open = await request(app).get('/api/v1/public').set('x-user-roles', 'admin').expect(200);
    assert.equal(open.body.headers['x-user-roles'], undefined);
  });

  it('measures each upstream by status, and passes other paths on', async () => {
    const app = gateway([route('users', echoServer.url)]);
    await request(app).get('/api/v1/users').expect(200);
    await request(app).get('/api/v1/usersx').expect(404);
    const metrics = await request(app).get('/metrics').expect(200);
    assert.match(metrics.text, /gateway_upstream_request_duration_seconds_count\{upstream="users",method="GET",status_code="200"\} 1/);
  });

  it('mounts every upstream espresso recorded, reports each in /health, and stays ready when one is down', async () => {
    const env = Object.fromEntries(upstreams.map((u) => [u.env, echoServer.url]));
    const { createDependencies } = await import('../src/dependencies.js');
    const config = testConfig(env);
    const dependencies = Object.fromEntries(Object.entries(createDependencies(config, createLogger(config), createMetrics())).filter(([name]) => name.startsWith('upstream:')));
    const { app } = buildApp({ env, dependencies });
    for (const upstream of upstreams) {
      const res = await request(app).get(`${upstream.path}/probe`).set(upstream.protect ? { authorization: 'Bearer x' } : {});
      // Protected upstreams need a real token; the others reach the echo server.
      if (!upstream.protect) assert.equal(res.body.url, `${upstream.path}/probe`);
    }
    const health = await request(app).get('/health').expect(200);
    for (const upstream of upstreams) assert.equal(health.body.checks[`upstream:${upstream.name}`], 'up');
    if (upstreams.length > 0) {
      const down = Object.fromEntries(upstreams.map((u) => [u.env, 'http://127.0.0.1:1']));
      const downConfig = testConfig(down);
      const downDependencies = Object.fromEntries(Object.entries(createDependencies(downConfig, createLogger(downConfig), createMetrics())).filter(([name]) => name.startsWith('upstream:')));
      const { app: degraded } = buildApp({ env: down, dependencies: downDependencies });
      await request(degraded).get('/ready').expect(200);
      const summary = await request(degraded).get('/health').expect(200);
      assert.equal(summary.body.status, 'degraded');
    }
  });
});
