import pg from 'pg';
import { packageInfo } from '../package-info.js';

/**
 * PostgreSQL through a pg connection pool. Connections open on first use; `check` runs
 * `SELECT 1` for readiness and `close` drains the pool on shutdown.
 *
 * @param {{ DATABASE_URL?: string, DATABASE_POOL_MAX: number, DATABASE_CONNECT_TIMEOUT_MS: number }} config
 * @param {import('pino').Logger} logger
 * @returns {import('../dependencies.js').Dependency & { pool: pg.Pool }}
 */
export function createPostgres(config, logger) {
  const pool = new pg.Pool({
    connectionString: config.DATABASE_URL,
    max: config.DATABASE_POOL_MAX,
    connectionTimeoutMillis: config.DATABASE_CONNECT_TIMEOUT_MS,
    idleTimeoutMillis: 30000,
    application_name: packageInfo.name,
  });
  // An idle client that loses its connection emits here; without a listener the process would crash.
  pool.on('error', (err) => logger.warn({ err }, 'idle PostgreSQL connection failed'));

  return {
    name: 'postgres',
    pool,
    async check(signal) {
      const client = await pool.connect();
      try {
        signal?.throwIfAborted();
        await client.query('SELECT 1');
      } finally {
        client.release();
      }
    },
    async close() {
      await pool.end();
    },
  };
}
