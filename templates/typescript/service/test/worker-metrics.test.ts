import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import pino from 'pino';
import { createMetrics } from '../src/metrics.ts';
import { latestPerInstance, shareWorkerMetrics } from '../src/worker-metrics.ts';

const logger = pino({ level: 'silent' });
const home = mkdtempSync(join(tmpdir(), 'pm2-home-'));
after(() => rmSync(home, { recursive: true, force: true }));

/** A PM2 cluster worker's metrics, as src/server.ts makes them, with `requests` answered on /health. */
async function worker(instance: number, requests: number, name = 'svc') {
  const metrics = createMetrics();
  for (let i = 0; i < requests; i += 1) metrics.httpRequests.inc({ method: 'GET', route: '/health', status_code: '200' });
  const env = { NODE_APP_INSTANCE: String(instance), PM2_HOME: home, name };
  const shared = await shareWorkerMetrics({ registry: metrics.registry, logger, env, isWorker: true });
  assert.ok(shared, 'a PM2 cluster worker shares its metrics');
  return { metrics, shared };
}

/** The `http_requests_total` samples of an exposition, by their worker label. */
function healthRequestsByWorker(text: string) {
  const byWorker: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const [, labels = '', count] = /^http_requests_total\{(.*)\} (\d+)$/.exec(line) ?? [];
    if (!labels.includes('route="/health"')) continue;
    byWorker[/worker="(\d+)"/.exec(labels)?.[1] ?? '?'] = Number(count);
  }
  return byWorker;
}

describe('worker metrics', () => {
  it('are not shared outside a PM2 cluster worker', async () => {
    const { registry } = createMetrics();
    assert.equal(await shareWorkerMetrics({ registry, logger, env: {}, isWorker: false }), undefined);
    const pm2Fork = { NODE_APP_INSTANCE: '0', PM2_HOME: home, name: 'svc' };
    assert.equal(await shareWorkerMetrics({ registry, logger, env: pm2Fork, isWorker: false }), undefined);
  });

  it('answer for every worker from whichever is scraped, each series labelled with its worker', async () => {
    const workers = await Promise.all([worker(0, 3, 'two'), worker(1, 5, 'two')]);
    try {
      for (const { shared } of workers) {
        const text = await shared.render();
        assert.deepEqual(healthRequestsByWorker(text), { 0: 3, 1: 5 });
        // One exposition: each metric is described once, however many workers report it.
        assert.equal(text.split('\n').filter((l) => l === '# TYPE http_requests_total counter').length, 1);
        assert.match(text, /process_cpu_limit_cores\{worker="1"\} /);
      }
    } finally {
      await Promise.all(workers.map(({ shared }) => shared.close()));
    }
  });

  it('leave out a worker once it has stopped, and remove the socket of one that died', async () => {
    const [first, second, third] = await Promise.all([worker(0, 1, 'three'), worker(1, 2, 'three'), worker(2, 4, 'three')]);
    await second.shared.close();
    const dead = join(home, 'metrics', 'three', '7-1-1.sock');
    writeFileSync(dead, '');
    try {
      assert.deepEqual(healthRequestsByWorker(await first.shared.render()), { 0: 1, 2: 4 });
      assert.ok(!readdirSync(join(home, 'metrics', 'three')).includes('7-1-1.sock'));
    } finally {
      await Promise.all([first, third].map(({ shared }) => shared.close()));
    }
  });

  it('read the newest socket of each other instance: a reloaded worker is replaced by its successor', () => {
    const names = ['0-100-11.sock', '1-100-12.sock', '1-250-13.sock', '1-200-14.sock', 'notes.txt', '2-x-1.sock'];
    assert.deepEqual(latestPerInstance(names, '0'), ['1-250-13.sock']);
    assert.deepEqual(latestPerInstance(names, '1'), ['0-100-11.sock']);
  });

  it('refuse a directory that other users can read', async () => {
    const dir = join(home, 'metrics', 'open');
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, 0o755);
    await assert.rejects(worker(0, 0, 'open'), /mode 700/);
  });
});
