import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import request from 'supertest';
import { cpuLimitCores } from '../src/metrics.ts';
import { packageInfo } from '../src/package-info.ts';
import { buildApp, fakeDependency } from './helpers.ts';

describe('probes', () => {
  it('GET /live answers while the process runs', async () => {
    const { app } = buildApp();
    const res = await request(app).get('/live').expect(200);
    assert.deepEqual(res.body, { status: 'ok' });
    assert.equal(res.headers['cache-control'], 'no-store');
  });

  it('GET /ready is 200 when every dependency answers', async () => {
    const { app } = buildApp({ dependencies: { db: fakeDependency('db') } });
    const res = await request(app).get('/ready').expect(200);
    assert.equal(res.body.status, 'ready');
    assert.deepEqual(res.body.checks, { db: 'up' });
  });

  it('GET /ready ignores dependencies that only need closing', async () => {
    const exporter = { name: 'tracing', async close() {} };
    const { app } = buildApp({ dependencies: { db: fakeDependency('db'), tracing: exporter } });
    const res = await request(app).get('/ready').expect(200);
    assert.deepEqual(res.body.checks, { db: 'up' });
  });

  it('GET /ready is 503 when a dependency is down', async () => {
    const { app } = buildApp({ dependencies: { db: fakeDependency('db', { up: false }) } });
    const res = await request(app).get('/ready').expect(503);
    assert.deepEqual(res.body.checks, { db: 'down' });
  });

  it('GET /ready stays 200 when only an optional dependency is down, and /health says so', async () => {
    const dependencies = { db: fakeDependency('db'), redis: fakeDependency('redis', { up: false, optional: true }) };
    const { app } = buildApp({ dependencies });
    const ready = await request(app).get('/ready').expect(200);
    assert.deepEqual(ready.body.checks, { db: 'up', redis: 'down' });
    const health = await request(app).get('/health').expect(200);
    assert.equal(health.body.status, 'degraded');
  });

  it('GET /ready is 503 while draining', async () => {
    const { app, lifecycle } = buildApp();
    lifecycle.startDraining();
    const res = await request(app).get('/ready').expect(503);
    assert.equal(res.body.status, 'draining');
  });

  it('GET /health summarises version, uptime and checks', async () => {
    const { app } = buildApp({ dependencies: { db: fakeDependency('db', { up: false }) } });
    const res = await request(app).get('/health').expect(200);
    assert.equal(res.body.status, 'degraded');
    assert.equal(res.body.service, packageInfo.name);
    assert.equal(res.body.version, packageInfo.version);
    assert.equal(typeof res.body.uptimeSeconds, 'number');
    assert.deepEqual(res.body.checks, { db: 'down' });
  });
});

describe('operational paths', () => {
  it('answer only at their exact path, so a proxy can keep them private by name', async () => {
    const { app } = buildApp();
    for (const path of ['/METRICS', '/Metrics', '/metrics/', '/Health', '/ready/', '/LIVE']) {
      const res = await request(app).get(path);
      assert.equal(res.status, 404, path);
    }
    await request(app).get('/metrics').expect(200);
  });
});

/** A file reader over `entries`; any other path does not exist. */
const files = (entries: Record<string, string>) => (path: string) => {
  const text = entries[path];
  if (text !== undefined) return text;
  throw new Error(`ENOENT: ${path}`);
};

describe('CPU limit', () => {

  it('reads the cgroup quota, capped at one core', () => {
    assert.equal(cpuLimitCores(files({ '/sys/fs/cgroup/cpu.max': '50000 100000\n' })), 0.5);
    assert.equal(cpuLimitCores(files({ '/sys/fs/cgroup/cpu.max': '400000 100000\n' })), 1);
    assert.equal(cpuLimitCores(files({ '/sys/fs/cgroup/cpu.max': 'max 100000\n' })), 1);
    assert.equal(cpuLimitCores(files({ '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': '25000', '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000' })), 0.25);
    assert.equal(cpuLimitCores(files({ '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': '-1', '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000' })), 1);
    assert.equal(cpuLimitCores(files({})), 1);
  });

  it('is exported for the saturation alert', async () => {
    const { app } = buildApp();
    const res = await request(app).get('/metrics').expect(200);
    const value = Number(res.text.match(/^process_cpu_limit_cores (\S+)$/m)?.[1]);
    assert.ok(value > 0 && value <= 1, `process_cpu_limit_cores ${value}`);
  });
});

describe('metrics', () => {
  it('GET /metrics exposes default and HTTP metrics labelled by route template', async () => {
    const { app } = buildApp();
    await request(app).get('/live').expect(200);
    await request(app).get('/no/such/123').expect(404);
    const res = await request(app).get('/metrics').expect(200);
    assert.match(res.headers['content-type'] ?? '', /^text\/plain/);
    assert.match(res.text, /process_cpu_user_seconds_total/);
    assert.match(res.text, /http_request_duration_seconds_bucket\{.*method="GET",route="\/live",status_code="200"/);
    assert.match(res.text, /http_requests_total\{method="GET",route="unmatched",status_code="404"\} 1/);
    assert.doesNotMatch(res.text, /no\/such/, 'raw URLs must never become labels');
    assert.doesNotMatch(res.text, /route="\/metrics"/, 'scrapes are not measured');
  });
});
