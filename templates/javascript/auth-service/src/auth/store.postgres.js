import { HttpError } from '../errors.js';

/** Columns of an account as the API shows it. */
const USER = `id, email, roles, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "createdAt"`;

/** A statement timeout (57014) is a 503 the client may retry, as in every PostgreSQL repository. */
async function mapErrors(operation) {
  try {
    return await operation();
  } catch (err) {
    if (err.code === '57014') throw new HttpError(503, 'database_timeout', 'The database did not answer in time; try again.', { cause: err });
    throw err;
  }
}

/**
 * Runs `work` in one transaction on one client, rolled back if it throws.
 *
 * @template T
 * @param {import('pg').Pool} pool
 * @param {(client: import('pg').PoolClient) => Promise<T>} work
 * @returns {Promise<T>}
 */
async function transaction(pool, work) {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

/**
 * The auth service's tables in PostgreSQL (migrations/0001_create_auth_tables.sql): accounts,
 * refresh tokens stored as hashes, failed-login counts. Every value is a bound parameter, and
 * every time is the database's, so replicas agree on expiry and windows.
 *
 * @param {import('pg').Pool} pool
 */
export function createPostgresAuthStore(pool) {
  return {
    async createUser({ email, passwordHash, roles }) {
      const sql = `INSERT INTO auth_users (email, password_hash, roles) VALUES ($1, $2, $3) ON CONFLICT (email) DO NOTHING RETURNING ${USER}`;
      const { rows } = await mapErrors(() => pool.query(sql, [email, passwordHash, roles]));
      return rows[0] ?? null;
    },

    async findUserByEmail(email) {
      const { rows } = await mapErrors(() => pool.query(`SELECT ${USER}, password_hash AS "passwordHash" FROM auth_users WHERE email = $1`, [email]));
      return rows[0] ?? null;
    },

    async findUser(id) {
      const { rows } = await mapErrors(() => pool.query(`SELECT ${USER} FROM auth_users WHERE id = $1`, [id]));
      return rows[0] ?? null;
    },

    async updatePasswordHash(id, passwordHash) {
      await mapErrors(() => pool.query('UPDATE auth_users SET password_hash = $2, updated_at = now() WHERE id = $1', [id, passwordHash]));
    },

    async addRefreshToken({ hash, userId, ttlSeconds }) {
      await mapErrors(() =>
        transaction(pool, async (client) => {
          // A login is a good time to forget the account's expired tokens: the table stays small.
          await client.query('DELETE FROM auth_refresh_tokens WHERE user_id = $1 AND expires_at <= now()', [userId]);
          await client.query('INSERT INTO auth_refresh_tokens (token_hash, family_id, user_id, expires_at) VALUES ($1, gen_random_uuid(), $2, now() + make_interval(secs => $3))', [hash, userId, ttlSeconds]);
        }),
      );
    },

    async rotateRefreshToken(hash, next) {
      return mapErrors(() =>
        transaction(pool, async (client) => {
          // FOR UPDATE: two refreshes with one token take turns, and the second sees it used.
          const { rows } = await client.query(
            'SELECT family_id, user_id, used_at IS NOT NULL AS used, revoked_at IS NOT NULL AS revoked, expires_at <= now() AS expired FROM auth_refresh_tokens WHERE token_hash = $1 FOR UPDATE',
            [hash],
          );
          const token = rows[0];
          if (!token || token.revoked) return { outcome: 'invalid' };
          if (token.used) {
            await client.query('UPDATE auth_refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL', [token.family_id]);
            return { outcome: 'reused' };
          }
          if (token.expired) return { outcome: 'invalid' };
          await client.query('UPDATE auth_refresh_tokens SET used_at = now() WHERE token_hash = $1', [hash]);
          await client.query('INSERT INTO auth_refresh_tokens (token_hash, family_id, user_id, expires_at) VALUES ($1, $2, $3, now() + make_interval(secs => $4))', [next.hash, token.family_id, token.user_id, next.ttlSeconds]);
          return { outcome: 'rotated', userId: token.user_id };
        }),
      );
    },

    async revokeFamily(hash) {
      const sql = 'UPDATE auth_refresh_tokens SET revoked_at = now() WHERE revoked_at IS NULL AND family_id = (SELECT family_id FROM auth_refresh_tokens WHERE token_hash = $1)';
      await mapErrors(() => pool.query(sql, [hash]));
    },

    async failures(key, windowSeconds) {
      const sql = `SELECT failures AS count, ceil(extract(epoch FROM window_start + make_interval(secs => $2) - now()))::int AS "retryAfter"
        FROM auth_login_failures WHERE key = $1 AND window_start > now() - make_interval(secs => $2)`;
      const { rows } = await mapErrors(() => pool.query(sql, [key, windowSeconds]));
      return rows[0] ?? { count: 0, retryAfter: 0 };
    },

    async recordFailure(key, windowSeconds) {
      // One statement: concurrent failures for one key each count, with no lost update.
      const sql = `INSERT INTO auth_login_failures AS f (key, window_start, failures) VALUES ($1, now(), 1)
        ON CONFLICT (key) DO UPDATE SET
          failures = CASE WHEN f.window_start <= now() - make_interval(secs => $2) THEN 1 ELSE f.failures + 1 END,
          window_start = CASE WHEN f.window_start <= now() - make_interval(secs => $2) THEN now() ELSE f.window_start END`;
      await mapErrors(() => pool.query(sql, [key, windowSeconds]));
      // Now and then, forget the windows that have ended, so guessed addresses do not pile up.
      if (Math.random() < 0.01) await mapErrors(() => pool.query('DELETE FROM auth_login_failures WHERE window_start <= now() - make_interval(secs => $1)', [windowSeconds]));
    },

    async clearFailures(key) {
      await mapErrors(() => pool.query('DELETE FROM auth_login_failures WHERE key = $1', [key]));
    },
  };
}
