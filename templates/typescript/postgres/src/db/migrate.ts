import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from 'pg';
import type { PoolClient } from 'pg';
import { loadConfigOrExit } from '../config.ts';
import { projectRoot } from '../package-info.ts';

/** Default location of the SQL migrations, applied in file-name order. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('migrations/', projectRoot));

/**
 * The first line of a migration that cannot run inside a transaction (CREATE INDEX
 * CONCURRENTLY): its statements run one by one, each on its own, so each must be safe to run
 * again after a failure half-way.
 */
const NO_TRANSACTION = '-- espresso:no-transaction';

/** The statements of such a migration: split where a line ends with `;`, comments left out. */
function statements(sql: string): string[] {
  return sql
    .split(/;[ \t]*$/m)
    .map((part) => part.replaceAll(/^\s*--.*$/gm, '').trim())
    .filter((part) => part.length > 0);
}

/** Any constant works; it only has to be the same for every instance of this service. */
const LOCK_ID = 72_616_001;

/** How often a run that waits for the lock tries again. */
const LOCK_POLL_MS = 200;

/**
 * Takes the advisory lock, trying again until it is free. A run waiting inside
 * `pg_advisory_lock` holds a snapshot, and a CREATE INDEX CONCURRENTLY by the run holding the
 * lock waits for every snapshot older than its own: two instances starting at once would wait
 * for each other for ever. Between two tries, a waiting run holds nothing.
 */
async function lock(client: PoolClient): Promise<void> {
  while (!(await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [LOCK_ID])).rows[0]?.locked) {
    await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
  }
}

/**
 * Applies every `*.sql` file in `dir` that has not been applied yet, each in its own transaction,
 * and records it in `schema_migrations`. An advisory lock makes concurrent runs (several pods
 * starting at once) wait for each other instead of racing.
 *
 * @returns the files applied by this run
 */
export async function migrate(pool: Pool, dir = MIGRATIONS_DIR): Promise<string[]> {
  const files = (await readdir(dir)).filter((file) => file.endsWith('.sql')).toSorted();
  // Session-level advisory locks belong to one connection: hold a single client throughout.
  const client = await pool.connect();
  const applied: string[] = [];
  try {
    await lock(client);
    await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
    const done = new Set((await client.query<{ name: string }>('SELECT name FROM schema_migrations')).rows.map((row) => row.name));
    for (const file of files.filter((name) => !done.has(name))) {
      const sql = await readFile(join(dir, file), 'utf8');
      if (sql.startsWith(NO_TRANSACTION)) {
        try {
          for (const statement of statements(sql)) await client.query(statement);
        } catch (err) {
          throw new Error(`migration ${file} failed: ${(err as Error).message}`, { cause: err });
        }
        await client.query('INSERT INTO schema_migrations (name) VALUES ($1)', [file]);
        applied.push(file);
        continue;
      }
      await client.query('BEGIN');
      try {
        await client.query(sql);
        await client.query('INSERT INTO schema_migrations (name) VALUES ($1)', [file]);
        await client.query('COMMIT');
        applied.push(file);
      } catch (err) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${file} failed: ${(err as Error).message}`, { cause: err });
      }
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [LOCK_ID]).catch(() => {});
    client.release();
  }
  return applied;
}

// `npm run migrate`: apply pending migrations, then exit. DATABASE_URL comes from the validated
// configuration like the service's, so SECRETS_DIR works: the pod it was generated for can run it.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const config = loadConfigOrExit(process.env);
  const pool = new Pool({ connectionString: config.DATABASE_URL, max: 1, connectionTimeoutMillis: config.DATABASE_CONNECT_TIMEOUT_MS });
  try {
    const applied = await migrate(pool);
    process.stdout.write(applied.length ? `applied ${applied.join(', ')}\n` : 'database is up to date\n');
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exitCode = 1;
  } finally {
    await pool.end();
  }
}
