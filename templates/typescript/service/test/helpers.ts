import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { createApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import type { Dependency } from '../src/dependencies.ts';
import { createLifecycle } from '../src/lifecycle.ts';
import { createLogger } from '../src/logger.ts';
import { createMetrics } from '../src/metrics.ts';

/** A TCP port free on loopback now, for a server a test starts in another process. */
export async function freePort(): Promise<number> {
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as AddressInfo;
  probe.close();
  await once(probe, 'close');
  return port;
}

/**
 * What the project's authentication middleware need in tests: configuration, and the headers
 * an authorised request carries. `espresso add middleware` registers them here.
 */
export function testAuth() {
  const env: Record<string, string> = {};
  const headers: Record<string, string> = {};
  // espresso:begin test-auth
  // espresso:end test-auth
  return { env, headers };
}

/** A validated test configuration; `overrides` are environment variables as strings. */
export function testConfig(overrides: Record<string, string> = {}) {
  return loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', ...testAuth().env, ...overrides });
}

/** A log line as the logger writes it: JSON, with the fields the tests read. */
export interface LogLine {
  level: string;
  msg?: string;
  req?: { url?: string; headers?: Record<string, string> };
  res?: { statusCode: number };
  [field: string]: unknown;
}

/** A log destination that keeps every line, parsed, in `lines`. */
export function captureLogs() {
  const lines: LogLine[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(
        ...chunk
          .toString()
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line) as LogLine),
      );
      done();
    },
  });
  return { stream, lines };
}

/** A fake dependency whose health can be switched, recording whether it was closed. */
export function fakeDependency(name: string, { up = true, optional = false } = {}) {
  const dependency: Dependency & { up: boolean; optional: boolean; closed: boolean } = {
    name,
    up,
    optional,
    closed: false,
    check: async () => {
      if (!dependency.up) throw new Error(`${name} is down`);
    },
    close: async () => {
      dependency.closed = true;
    },
  };
  return dependency;
}

/** Builds the app as server.ts does, with test configuration and optional fake dependencies. */
export function buildApp<D extends Record<string, Dependency> = Record<string, Dependency>>({
  env = {},
  dependencies = {} as D,
}: { env?: Record<string, string>; dependencies?: D } = {}) {
  const config = testConfig(env);
  const logger = createLogger(config);
  const lifecycle = createLifecycle();
  const metrics = createMetrics();
  const app = createApp({ config, logger, dependencies, lifecycle, metrics });
  return { app, config, lifecycle, metrics, dependencies };
}

/** The image's bundle, built by {@link buildBundle}. */
export interface Bundle {
  readonly dir: string;
  /** Node's arguments that run it as the image does. */
  readonly command: string[];
  remove(): Promise<void>;
}

/**
 * The image's bundle, as `npm run build` writes it into dist/, built into a folder of its own
 * one level below the project (where dist/ is, so it finds the same files).
 */
export async function buildBundle(): Promise<Bundle> {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const dir = await mkdtemp(join(root, '.bundle-test-'));
  await promisify(execFile)(process.execPath, ['scripts/build.mjs', '--outdir', dir], { cwd: root });
  const instrumentation = join(dir, 'instrumentation.js');
  const preload = existsSync(instrumentation) ? ['--import', pathToFileURL(instrumentation).href] : [];
  return { dir, command: [...preload, join(dir, 'server.js')], remove: () => rm(dir, { recursive: true, force: true }) };
}
