import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, get } from 'node:http';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import express from 'express';
import { createLogger } from '../src/logger.js';
import { shutdown } from '../src/lifecycle.js';
import { buildApp, fakeDependency, testConfig } from './helpers.js';

const logger = createLogger(testConfig());

/** Serves the app plus a slow route, on an ephemeral port. */
async function serve(delayMs) {
  const built = buildApp({ dependencies: { db: fakeDependency('db') } });
  const outer = express();
  outer.get('/slow', async (_req, res) => {
    // Unreferenced, so a request the test abandons does not keep the test process alive.
    await sleep(delayMs, undefined, { ref: false });
    res.json({ finished: true });
  });
  outer.use(built.app);
  const server = createServer(outer);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { ...built, server, url: `http://127.0.0.1:${server.address().port}` };
}

/** GET on a fresh connection (no keep-alive reuse), parsed as JSON. */
function getJson(url) {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode, body: JSON.parse(body) }));
    }).on('error', reject);
  });
}

describe('graceful shutdown', () => {
  it('fails readiness, finishes in-flight requests, refuses new ones and closes dependencies', async () => {
    const { server, url, lifecycle, dependencies } = await serve(300);
    const inFlight = getJson(`${url}/slow`);
    await sleep(50);
    const stopped = shutdown({ server, lifecycle, dependencies, logger, delayMs: 0, timeoutMs: 5000 });
    assert.equal(lifecycle.draining, true);
    assert.deepEqual(await inFlight, { status: 200, body: { finished: true } });
    assert.equal(await stopped, true);
    assert.equal(dependencies.db.closed, true);
    await assert.rejects(getJson(`${url}/live`), { code: 'ECONNREFUSED' });
  });

  it('cuts connections that outlive the timeout and reports it', async () => {
    const { server, url, lifecycle, dependencies } = await serve(10000);
    const inFlight = getJson(`${url}/slow`).catch((err) => err);
    await sleep(50);
    const started = Date.now();
    assert.equal(await shutdown({ server, lifecycle, dependencies, logger, delayMs: 0, timeoutMs: 300 }), false);
    assert.ok(Date.now() - started < 2000);
    assert.equal((await inFlight).code, 'ECONNRESET');
  });

  it('the server process exits with status 0 on SIGTERM', async () => {
    const probe = createServer().listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const port = probe.address().port;
    probe.close();
    const child = spawn(process.execPath, ['src/server.js'], {
      cwd: new URL('..', import.meta.url),
      env: { PATH: process.env.PATH, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'silent' },
      stdio: 'ignore',
    });
    try {
      let live;
      for (let attempt = 0; attempt < 100 && !live; attempt++) {
        live = await getJson(`http://127.0.0.1:${port}/live`).catch(() => sleep(50));
      }
      assert.equal(live?.status, 200);
      child.kill('SIGTERM');
      const [code, signal] = await once(child, 'exit');
      assert.deepEqual({ code, signal }, { code: 0, signal: null });
    } finally {
      child.kill('SIGKILL');
    }
  });
});
