import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { createPostgres } from '../../src/db/postgres.js';
import { migrate } from '../../src/db/migrate.js';
import { createLogger } from '../../src/logger.js';
import { buildApp, testConfig } from '../helpers.js';

// Runs against a real server when DATABASE_URL is set (espresso's own end-to-end tests set it).
const url = process.env.DATABASE_URL;

describe('PostgreSQL (integration)', { skip: !url && 'DATABASE_URL is not set' }, () => {
  let postgres;
  let dir;

  before(async () => {
    const config = testConfig({ DATABASE_URL: url });
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

  it('applies migrations once, in order', async () => {
    const table = `espresso_probe_${process.pid}`;
    await writeFile(join(dir, '0001_create.sql'), `CREATE TABLE ${table} (id int PRIMARY KEY);`);
    await writeFile(join(dir, '0002_insert.sql'), `INSERT INTO ${table} VALUES (1);`);
    try {
      assert.deepEqual(await migrate(postgres.pool, dir), ['0001_create.sql', '0002_insert.sql']);
      assert.deepEqual(await migrate(postgres.pool, dir), []);
      const { rows } = await postgres.pool.query(`SELECT count(*)::int AS n FROM ${table}`);
      assert.equal(rows[0].n, 1);
    } finally {
      await postgres.pool.query(`DROP TABLE IF EXISTS ${table}`);
      await postgres.pool.query("DELETE FROM schema_migrations WHERE name IN ('0001_create.sql', '0002_insert.sql')");
    }
  });
});
