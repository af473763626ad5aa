import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createLifecycle } from '../src/lifecycle.js';
import { createLogger } from '../src/logger.js';
import { createMetrics } from '../src/metrics.js';

/** A TCP port free on loopback now, for a server a test starts in another process. */
export async function freePort() {
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address();
  probe.close();
  await once(probe, 'close');
  return port;
}

/**
 * What the project's authentication middleware need in tests: configuration, and the headers
 * an authorised request carries. `espresso add middleware` registers them here.
 */
export function testAuth() {
  const env = {};
  const headers = {};
  // espresso:begin test-auth
  // espresso:end test-auth
  return { env, headers };
}

/** A validated test configuration; `overrides` are environment variables as strings. */
export function testConfig(overrides = {}) {
  return loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', ...testAuth().env, ...overrides });
}

/** A log destination that keeps every line, parsed, in `lines`. */
export function captureLogs() {
  const lines = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...chunk.toString().trim().split('\n').map((line) => JSON.parse(line)));
      done();
    },
  });
  return { stream, lines };
}

/** A fake dependency whose health can be switched, recording whether it was closed. */
export function fakeDependency(name, { up = true, optional = false } = {}) {
  return {
    name,
    up,
    optional,
    closed: false,
    async check() {
      if (!this.up) throw new Error(`${name} is down`);
    },
    async close() {
      this.closed = true;
    },
  };
}

/**
 * Builds the app as server.js does, with test configuration and optional fake dependencies.
 * @param {{ env?: Record<string, string>, dependencies?: Record<string, object> }} [options]
 */
export function buildApp({ env = {}, dependencies = {} } = {}) {
  const config = testConfig(env);
  const logger = createLogger(config);
  const lifecycle = createLifecycle();
  const metrics = createMetrics();
  const app = createApp({ config, logger, dependencies, lifecycle, metrics });
  return { app, config, lifecycle, metrics, dependencies };
}

/**
 * The image's bundle, as `npm run build` writes it into dist/, built into a folder of its own
 * one level below the project (where dist/ is, so it finds the same files). `command` runs it as
 * the image does; `remove()` deletes the folder.
 *
 * @returns {Promise<{ dir: string, command: string[], remove: () => Promise<void> }>}
 */
export async function buildBundle() {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const dir = await mkdtemp(join(root, '.bundle-test-'));
  await promisify(execFile)(process.execPath, ['scripts/build.mjs', '--outdir', dir], { cwd: root });
  const instrumentation = join(dir, 'instrumentation.js');
  const preload = existsSync(instrumentation) ? ['--import', pathToFileURL(instrumentation).href] : [];
  return { dir, command: [...preload, join(dir, 'server.js')], remove: () => rm(dir, { recursive: true, force: true }) };
}
