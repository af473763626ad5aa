import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import request from 'supertest';
import { corsMiddleware, createApp, parseTrustProxy } from '../src/app.ts';
import { createLifecycle } from '../src/lifecycle.ts';
import { createLogger } from '../src/logger.ts';
import { createMetrics } from '../src/metrics.ts';
import { buildApp, captureLogs, testConfig } from './helpers.ts';

describe('request id', () => {
  it('creates a UUID when the caller sends none', async () => {
    const { app } = buildApp();
    const res = await request(app).get('/live');
    assert.match(res.headers['x-request-id'] ?? '', /^[0-9a-f-]{36}$/);
  });

  it('reuses an acceptable incoming id and replaces an unacceptable one', async () => {
    const { app } = buildApp();
    assert.equal((await request(app).get('/live').set('X-Request-Id', 'abc-123')).headers['x-request-id'], 'abc-123');
    const replaced = (await request(app).get('/live').set('X-Request-Id', '<script>')).headers['x-request-id'];
    assert.match(replaced ?? '', /^[0-9a-f-]{36}$/);
  });
});

describe('security headers and CORS', () => {
  it('sets helmet headers and hides the framework', async () => {
    const { app } = buildApp();
    const res = await request(app).get('/live');
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.equal(res.headers['x-powered-by'], undefined);
  });

  it('allows only the configured origins', async () => {
    const { app } = buildApp({ env: { CORS_ORIGINS: 'https://app.example.com, https://admin.example.com' } });
    const allowed = await request(app).get('/live').set('Origin', 'https://admin.example.com');
    assert.equal(allowed.headers['access-control-allow-origin'], 'https://admin.example.com');
    const refused = await request(app).get('/live').set('Origin', 'https://evil.example.com');
    assert.equal(refused.headers['access-control-allow-origin'], undefined);
  });

  it('sends no CORS headers when no origin is allowed', async () => {
    const { app } = buildApp({ env: { CORS_ORIGINS: ' , ' } });
    const res = await request(app).options('/live').set('Origin', 'https://app.example.com').set('Access-Control-Request-Method', 'GET');
    assert.equal(res.headers['access-control-allow-origin'], undefined);
    assert.equal(corsMiddleware(''), undefined);
  });

  it('parses TRUST_PROXY', () => {
    assert.equal(parseTrustProxy('true'), true);
    assert.equal(parseTrustProxy('false'), false);
    assert.equal(parseTrustProxy('2'), 2);
    assert.deepEqual(parseTrustProxy('loopback, 10.0.0.0/8'), ['loopback', '10.0.0.0/8']);
  });
});

describe('logging', () => {
  it('logs probes at debug, other successes at info and client errors at warn', async () => {
    const { stream, lines } = captureLogs();
    const config = testConfig({ LOG_LEVEL: 'debug' });
    const app = createApp({ config, logger: createLogger(config, stream), dependencies: {}, lifecycle: createLifecycle(), metrics: createMetrics() });
    await request(app).get('/live').expect(200);
    await request(app).get('/metrics').expect(200);
    await request(app).get('/openapi.json').expect(200);
    await request(app).get('/no/such/path').expect(404);
    const levels = Object.fromEntries(lines.filter((line) => line.res).map((line) => [line.req?.url, line.level]));
    assert.deepEqual(levels, { '/live': 'debug', '/metrics': 'debug', '/openapi.json': 'info', '/no/such/path': 'warn' });
  });

  it('redacts credentials', async () => {
    const { stream, lines } = captureLogs();
    const logger = createLogger(testConfig({ LOG_LEVEL: 'info' }), stream);
    logger.info({ req: { headers: { authorization: 'Bearer secret', cookie: 'sid=1', 'x-api-key': 'k' } } }, 'incoming');
    const [line] = lines;
    assert.deepEqual(line?.req?.headers, { authorization: '[redacted]', cookie: '[redacted]', 'x-api-key': '[redacted]' });
    assert.equal(line.level, 'info');
  });
});
