import { Pool } from 'pg';
import type { Logger } from 'pino';
import { abortable } from '../abortable.ts';
import type { Config } from '../config.ts';
import type { Dependency } from '../dependencies.ts';
import { packageInfo } from '../package-info.ts';

/** The PostgreSQL dependency: the pool the repositories query, besides the lifecycle hooks. */
export type PostgresDependency = Dependency & Required<Pick<Dependency, 'check'>> & { pool: Pool };

/**
 * PostgreSQL through a pg connection pool. Connections open on first use, and every statement is
 * cancelled by the server after DATABASE_STATEMENT_TIMEOUT_MS (lock waits included), so a locked
 * table cannot hold requests. Readiness runs `SELECT 1` on a connection of its own, never one the
 * traffic is waiting for, and gives up when its signal aborts; `close` drains both pools.
 */
export function createPostgres(config: Config, logger: Logger): PostgresDependency {
  const pool = new Pool({
    connectionString: config.DATABASE_URL,
    max: config.DATABASE_POOL_MAX,
    connectionTimeoutMillis: config.DATABASE_CONNECT_TIMEOUT_MS,
    idleTimeoutMillis: 30000,
    application_name: packageInfo.name,
    statement_timeout: config.DATABASE_STATEMENT_TIMEOUT_MS,
  });
  // One connection for readiness, kept apart so a saturated pool does not make pods flap.
  const probe = new Pool({
    connectionString: config.DATABASE_URL,
    max: 1,
    connectionTimeoutMillis: config.DATABASE_CONNECT_TIMEOUT_MS,
    idleTimeoutMillis: 30000,
    application_name: `${packageInfo.name}-readiness`,
    statement_timeout: config.DATABASE_STATEMENT_TIMEOUT_MS,
  });
  // An idle client that loses its connection emits here; without a listener the process would crash.
  for (const p of [pool, probe]) p.on('error', (err) => logger.warn({ err }, 'idle PostgreSQL connection failed'));

  return {
    name: 'postgres',
    pool,
    async check(signal) {
      signal.throwIfAborted();
      await abortable(probe.query('SELECT 1'), signal);
    },
    async close() {
      await Promise.all([pool.end(), probe.end()]);
    },
  };
}
