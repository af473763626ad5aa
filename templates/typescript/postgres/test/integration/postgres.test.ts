import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import type { PostgresDependency } from '../../src/db/postgres.ts';
import { createPostgres } from '../../src/db/postgres.ts';
import { migrate } from '../../src/db/migrate.ts';
import { createLogger } from '../../src/logger.ts';
import { buildApp, buildBundle, testConfig } from '../helpers.ts';

// Runs against a real server when DATABASE_URL is set (espresso's own end-to-end tests set it).
const url = process.env['DATABASE_URL'];

describe('PostgreSQL (integration)', { skip: !url && 'DATABASE_URL is not set' }, () => {
  let postgres: PostgresDependency;
  let dir: string;

  before(async () => {
    const config = testConfig({ DATABASE_URL: url! });
    postgres = createPostgres(config, createLogger(config));
    dir = await mkdtemp(join(tmpdir(), 'migrations-'));
  });

  after(async () => {
    await postgres.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers the readiness check', async () => {
    await postgres.check(AbortSignal.timeout(2000));
    const { app } = buildApp({ dependencies: { postgres } });
    const res = await request(app).get('/ready').expect(200);
    assert.deepEqual(res.body.checks, { postgres: 'up' });
  });

  it('answers the readiness check while the traffic has every pool connection', async () => {
    const config = testConfig({ DATABASE_URL: url!, DATABASE_POOL_MAX: '1' });
    const saturated = createPostgres(config, createLogger(config));
    const held = await saturated.pool.connect();
    try {
      const started = performance.now();
      await saturated.check(AbortSignal.timeout(2000));
      assert.ok(performance.now() - started < 1000);
    } finally {
      held.release();
      await saturated.close();
    }
  });

  // The image runs the bundled form, dist/migrate.js (scripts/build.mjs).
  for (const form of ['sources', 'bundle']) {
    it(`npm run migrate reads DATABASE_URL from SECRETS_DIR, as in the pod (${form})`, async () => {
      const secrets = await mkdtemp(join(tmpdir(), 'secrets-'));
      const bundle = form === 'bundle' ? await buildBundle() : undefined;
      try {
        await writeFile(join(secrets, 'DATABASE_URL'), `${url}\n`);
        const env = { PATH: process.env['PATH'], NODE_ENV: 'test', SECRETS_DIR: secrets, LOG_LEVEL: 'silent' };
        const script = bundle ? join(bundle.dir, 'migrate.js') : 'src/db/migrate.ts';
        const { stdout } = await promisify(execFile)(process.execPath, [script], { cwd: new URL('../..', import.meta.url), env });
        assert.match(stdout, /database is up to date|applied /);
      } finally {
        await rm(secrets, { recursive: true, force: true });
        await bundle?.remove();
      }
    });
  }

  it('applies migrations once, in order', async () => {
    const table = `espresso_probe_${process.pid}`;
    await writeFile(join(dir, '0001_create.sql'), `CREATE TABLE ${table} (id int PRIMARY KEY);`);
    await writeFile(join(dir, '0002_insert.sql'), `INSERT INTO ${table} VALUES (1);`);
    try {
      assert.deepEqual(await migrate(postgres.pool, dir), ['0001_create.sql', '0002_insert.sql']);
      assert.deepEqual(await migrate(postgres.pool, dir), []);
      const { rows } = await postgres.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
      assert.equal(rows[0]?.n, 1);
    } finally {
      await postgres.pool.query(`DROP TABLE IF EXISTS ${table}`);
      await postgres.pool.query("DELETE FROM schema_migrations WHERE name IN ('0001_create.sql', '0002_insert.sql')");
    }
  });
});
