import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildBundle, freePort, testAuth } from './helpers.js';

const cwd = new URL('..', import.meta.url);

// The image runs the bundle that scripts/build.mjs writes, not the sources: it must start, find
// the files it reads, answer and stop as they do.
describe('the image bundle (npm run build)', () => {
  /** @type {Awaited<ReturnType<typeof buildBundle>>} */
  let bundle;
  before(async () => {
    bundle = await buildBundle();
  });
  after(() => bundle?.remove());

  it('answers its liveness probe and its OpenAPI document (read from the project), and exits with status 0 on SIGTERM', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, bundle.command, {
      cwd,
      env: { PATH: process.env.PATH, ...testAuth().env, NODE_ENV: 'test', PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'silent' },
      stdio: 'ignore',
    });
    try {
      const url = `http://127.0.0.1:${port}`;
      let live;
      for (let attempt = 0; attempt < 100 && !live; attempt++) {
        live = await fetch(`${url}/live`).catch(() => sleep(50));
      }
      assert.equal(live?.status, 200);
      const openapi = await fetch(`${url}/openapi.json`);
      assert.equal(openapi.status, 200);
      assert.equal((await openapi.json()).openapi, '3.1.0');
      child.kill('SIGTERM');
      const [code, signal] = await once(child, 'exit');
      assert.deepEqual({ code, signal }, { code: 0, signal: null });
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('fills the compile cache with --warm-compile-cache, as the image build runs it', async () => {
    const cache = await mkdtemp(join(tmpdir(), 'compile-cache-'));
    try {
      const child = spawn(process.execPath, [...bundle.command, '--warm-compile-cache'], {
        cwd,
        env: { PATH: process.env.PATH, NODE_ENV: 'production', NODE_COMPILE_CACHE: cache },
        stdio: 'ignore',
      });
      const [code] = await once(child, 'exit');
      assert.equal(code, 0);
      const entries = await readdir(cache, { recursive: true });
      assert.ok(entries.length > 1, `the compile cache holds ${entries.length} entries`);
    } finally {
      await rm(cache, { recursive: true, force: true });
    }
  });
});
