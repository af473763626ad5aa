import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import cluster from 'node:cluster';
import { once } from 'node:events';
import { Agent, createServer, get } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import express from 'express';
import { FIRST_REQUEST_GRACE_MS, trackConnections } from '../src/connections.ts';
import { createLogger } from '../src/logger.ts';
import { shutdown } from '../src/lifecycle.ts';
import { buildApp, fakeDependency, freePort, testConfig } from './helpers.ts';

const logger = createLogger(testConfig());

/** Serves the app plus a slow route, on an ephemeral port. */
async function serve(delayMs: number) {
  const built = buildApp({ dependencies: { db: fakeDependency('db') } });
  const outer = express();
  outer.get('/slow', async (_req, res) => {
    // Unreferenced, so a request the test abandons does not keep the test process alive.
    await sleep(delayMs, undefined, { ref: false });
    res.json({ finished: true });
  });
  outer.use(built.app);
  const server = createServer(outer);
  const connections = trackConnections(server, built.lifecycle);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const stop = (options: { timeoutMs: number }) => shutdown({ connections, lifecycle: built.lifecycle, dependencies: built.dependencies, logger, delayMs: 0, ...options });
  const { port } = server.address() as AddressInfo;
  return { ...built, server, stop, port, url: `http://127.0.0.1:${port}` };
}

/** A raw connection the server has accepted, and everything it will receive until it closes. */
async function acceptedConnection(server: Server, port: number) {
  const accepted = once(server, 'connection');
  const socket = connect(port, '127.0.0.1');
  await accepted;
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
  const closed = once(socket, 'close').then(() => received);
  return { socket, closed };
}

/** GET over `agent`, resolving to the status and the Connection header. */
function getWith(agent: Agent, url: string): Promise<{ status: number | undefined; connection: string | undefined }> {
  return new Promise((resolve, reject) => {
    get(url, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode, connection: res.headers.connection }));
    }).on('error', reject);
  });
}

/** GET on a fresh connection (no keep-alive reuse), parsed as JSON. */
function getJson(url: string): Promise<{ status: number | undefined; body: unknown }> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode, body: JSON.parse(body) }));
    }).on('error', reject);
  });
}

describe('graceful shutdown', () => {
  it('fails readiness, finishes in-flight requests, refuses new ones and closes dependencies', async () => {
    const { stop, url, lifecycle, dependencies } = await serve(300);
    const inFlight = getJson(`${url}/slow`);
    await sleep(50);
    const stopped = stop({ timeoutMs: 5000 });
    assert.equal(lifecycle.draining, true);
    assert.deepEqual(await inFlight, { status: 200, body: { finished: true } });
    assert.equal(await stopped, true);
    assert.equal(dependencies.db.closed, true);
    await assert.rejects(getJson(`${url}/live`), { code: 'ECONNREFUSED' });
  });

  it('cuts connections that outlive the timeout and reports it', async () => {
    const { stop, url } = await serve(10000);
    const inFlight = getJson(`${url}/slow`).catch((err: unknown) => err as NodeJS.ErrnoException);
    await sleep(50);
    const started = Date.now();
    assert.equal(await stop({ timeoutMs: 300 }), false);
    assert.ok(Date.now() - started < 2000);
    assert.equal((await inFlight as NodeJS.ErrnoException).code, 'ECONNRESET');
  });

  it('serves a request whose connection was accepted just before the server closed', async () => {
    // A cluster primary or a load balancer hands over connections until the listener closes;
    // the request on such a connection may arrive after closing began.
    const { server, port, stop } = await serve(0);
    const { socket, closed } = await acceptedConnection(server, port);
    const stopped = stop({ timeoutMs: 5000 });
    await sleep(20);
    socket.write('GET /live HTTP/1.1\r\nHost: localhost\r\n\r\n');
    const response = await closed;
    assert.match(response, /^HTTP\/1\.1 200 /);
    assert.match(response, /\r\nconnection: close\r\n/i);
    assert.equal(await stopped, true);
  });

  it('closes idle keep-alive connections at once and ends busy ones after their response', async () => {
    const { port, url, stop } = await serve(300);
    const agent = new Agent({ keepAlive: true, maxSockets: 2 });
    try {
      // Two connections: one left idle after a request, one carrying a slow request.
      await Promise.all([getWith(agent, `${url}/live`), getWith(agent, `${url}/live`)]);
      const slow = getWith(agent, `${url}/slow`);
      await sleep(50);
      const started = performance.now();
      const stopped = stop({ timeoutMs: 5000 });
      assert.deepEqual(await slow, { status: 200, connection: 'close' });
      assert.equal(await stopped, true);
      // Done when the slow response was, not after the first-request grace nor the keep-alive timeout.
      assert.ok(performance.now() - started < FIRST_REQUEST_GRACE_MS, `took ${performance.now() - started} ms`);
      await assert.rejects(getJson(`http://127.0.0.1:${port}/live`), { code: 'ECONNREFUSED' });
    } finally {
      agent.destroy();
    }
  });

  it('closes a connection that sends no request once the grace has passed', async () => {
    const { server, port, stop } = await serve(0);
    const { closed } = await acceptedConnection(server, port);
    const started = performance.now();
    assert.equal(await stop({ timeoutMs: 5000 }), true);
    const waited = performance.now() - started;
    assert.equal(await closed, '');
    assert.ok(waited >= FIRST_REQUEST_GRACE_MS - 5 && waited < FIRST_REQUEST_GRACE_MS + 1000, `closed after ${waited} ms`);
  });

  it('answers with Connection: close while it drains, before the server closes', async () => {
    const { url, lifecycle, stop } = await serve(0);
    const agent = new Agent({ keepAlive: true });
    try {
      assert.equal((await getWith(agent, `${url}/live`)).connection, 'keep-alive');
      lifecycle.startDraining();
      assert.deepEqual(await getWith(agent, `${url}/live`), { status: 200, connection: 'close' });
    } finally {
      agent.destroy();
      await stop({ timeoutMs: 5000 });
    }
  });

  it('a cluster worker leaves its primary in order before it exits, then exits with status 0', async () => {
    // The primary's acknowledgement comes after any connection it handed over in the meantime,
    // which the worker then refuses, so the primary gives it to another worker.
    cluster.setupPrimary({ exec: fileURLToPath(new URL('../src/server.ts', import.meta.url)), silent: true });
    const worker = cluster.fork({ NODE_ENV: 'test', PORT: String(await freePort()), HOST: '127.0.0.1', LOG_LEVEL: 'silent' });
    try {
      let listened = false;
      const exited = once(worker, 'exit').then(([code]) => {
        if (!listened) throw new Error(`the worker exited with status ${code} before it listened`);
      });
      await Promise.race([once(worker, 'listening').then(() => (listened = true)), exited]);
      const disconnected = once(worker, 'disconnect').then(() => worker.exitedAfterDisconnect);
      worker.process.kill('SIGINT');
      const [code, signal] = await once(worker, 'exit');
      assert.equal(await disconnected, true, 'the worker exited without disconnecting first');
      assert.deepEqual({ code, signal }, { code: 0, signal: null });
    } finally {
      worker.process.kill('SIGKILL');
    }
  });

  it('the server process exits with status 0 on SIGTERM', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ['src/server.ts'], {
      cwd: new URL('..', import.meta.url),
      env: { PATH: process.env['PATH'], NODE_ENV: 'test', PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'silent' },
      stdio: 'ignore',
    });
    try {
      let live: { status: number | undefined } | undefined;
      for (let attempt = 0; attempt < 100 && !live; attempt++) {
        live = await getJson(`http://127.0.0.1:${port}/live`).catch(() => sleep(50).then(() => undefined));
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
