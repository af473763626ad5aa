import { HttpError, badRequest, conflict } from '../errors.ts';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from './passwords.ts';
import { newRefreshToken, refreshTokenHash } from './tokens.ts';
import type { Passwords } from './passwords.ts';
import type { AccessTokens } from './tokens.ts';

/** An account as the API shows it. */
export interface AuthUser {
  id: string;
  email: string;
  roles: string[];
  createdAt: string;
}

/** What rotating a refresh token came to. */
export type Rotation = { outcome: 'rotated'; userId: string } | { outcome: 'reused' } | { outcome: 'invalid' };

/** Failed logins counted for one key in the current window, and the seconds the window has left. */
export interface Failures {
  count: number;
  retryAfter: number;
}

/**
 * Where the auth service keeps accounts, refresh tokens (as hashes) and failed-login counts:
 * PostgreSQL in the service, memory in tests without a database. Each method is atomic.
 */
export interface AuthStore {
  createUser(user: { email: string; passwordHash: string; roles: string[] }): Promise<AuthUser | null>;
  findUserByEmail(email: string): Promise<(AuthUser & { passwordHash: string }) | null>;
  findUser(id: string): Promise<AuthUser | null>;
  updatePasswordHash(id: string, passwordHash: string): Promise<void>;
  addRefreshToken(token: { hash: Buffer; userId: string; ttlSeconds: number }): Promise<void>;
  rotateRefreshToken(hash: Buffer, next: { hash: Buffer; ttlSeconds: number }): Promise<Rotation>;
  revokeFamily(hash: Buffer): Promise<void>;
  failures(key: string, windowSeconds: number): Promise<Failures>;
  recordFailure(key: string, windowSeconds: number): Promise<void>;
  clearFailures(key: string): Promise<void>;
}

/** The tokens a login or a refresh answers with. */
export interface Tokens {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

/** What the auth service reads of the configuration. */
export interface AuthConfig {
  AUTH_LOGIN_WINDOW_SECONDS: number;
  AUTH_LOGIN_MAX_FAILURES: number;
  AUTH_LOGIN_CLIENT_MAX_FAILURES: number;
  AUTH_REFRESH_TOKEN_TTL_SECONDS: number;
  AUTH_DEFAULT_ROLES: string;
}

/**
 * An e-mail address as the service stores and compares it: NFKC, trimmed, lower case, so
 * `Ada@Example.com ` and `ada@example.com` are one account.
 */
export const normaliseEmail = (email: string): string => email.normalize('NFKC').trim().toLowerCase();

/** The one answer to a login that fails, whether the address is unknown or the password wrong. */
const invalidCredentials = () => new HttpError(401, 'invalid_credentials', 'The e-mail address or the password is wrong.');

/** Too many failed logins; `retryAfter` seconds until the window ends. */
export class TooManyFailures extends HttpError {
  declare readonly retryAfter: number;

  constructor(retryAfter: number) {
    super(429, 'too_many_attempts', 'Too many failed logins; try again later.');
    this.retryAfter = retryAfter;
  }
}

/**
 * Registration, login, refresh and logout.
 *
 * - Passwords: PASSWORD_MIN_LENGTH to PASSWORD_MAX_LENGTH characters, hashed with scrypt.
 * - A login that fails takes as long and answers the same whether the account exists or not,
 *   and failures are counted per account and per client: past AUTH_LOGIN_MAX_FAILURES (or
 *   AUTH_LOGIN_CLIENT_MAX_FAILURES) in the window, attempts get 429 without a password check.
 * - Refresh tokens rotate on every use; presenting one already used revokes every token
 *   descended from the same login (someone else has a copy), and logout revokes them too.
 */
export function createAuthService({ config, store, passwords, accessTokens }: { config: AuthConfig; store: AuthStore; passwords: Passwords; accessTokens: AccessTokens }) {
  const window = config.AUTH_LOGIN_WINDOW_SECONDS;
  const roles = config.AUTH_DEFAULT_ROLES.split(',')
    .map((role) => role.trim())
    .filter(Boolean);

  async function issue(user: AuthUser): Promise<Tokens> {
    const refreshToken = newRefreshToken();
    await store.addRefreshToken({ hash: refreshTokenHash(refreshToken), userId: user.id, ttlSeconds: config.AUTH_REFRESH_TOKEN_TTL_SECONDS });
    return { accessToken: await accessTokens.sign(user), refreshToken, expiresIn: accessTokens.expiresIn };
  }

  /** Refuses an attempt when the account or the client has failed too often in the window. */
  async function checkFailures(account: string, client: string) {
    const [byAccount, byClient] = await Promise.all([store.failures(account, window), store.failures(client, window)]);
    if (byAccount.count >= config.AUTH_LOGIN_MAX_FAILURES) throw new TooManyFailures(byAccount.retryAfter);
    if (byClient.count >= config.AUTH_LOGIN_CLIENT_MAX_FAILURES) throw new TooManyFailures(byClient.retryAfter);
  }

  return {
    async register({ email, password }: { email: string; password: string }): Promise<AuthUser> {
      // Characters as sent (code points), as the OpenAPI document's minLength and maxLength count them.
      const length = Array.from(password).length;
      if (length < PASSWORD_MIN_LENGTH || length > PASSWORD_MAX_LENGTH) {
        throw badRequest('The request body is invalid.', [{ field: 'password', message: `must be ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters long` }]);
      }
      const user = await store.createUser({ email: normaliseEmail(email), passwordHash: await passwords.hash(password), roles });
      if (!user) throw conflict('An account with this e-mail address already exists.');
      return user;
    },

    /** @param client the caller's address (behind TRUST_PROXY's proxies) */
    async login({ email, password }: { email: string; password: string }, client: string): Promise<Tokens> {
      const address = normaliseEmail(email);
      const account = `account:${address}`;
      const from = `client:${client}`;
      await checkFailures(account, from);
      const user = await store.findUserByEmail(address);
      const valid = user ? await passwords.verify(password, user.passwordHash) : await passwords.verifyNothing(password).then(() => false);
      if (!user || !valid) {
        await Promise.all([store.recordFailure(account, window), store.recordFailure(from, window)]);
        throw invalidCredentials();
      }
      await store.clearFailures(account);
      if (passwords.needsRehash(user.passwordHash)) await store.updatePasswordHash(user.id, await passwords.hash(password));
      return issue(user);
    },

    async refresh({ refreshToken }: { refreshToken: string }): Promise<Tokens> {
      const next = newRefreshToken();
      const result = await store.rotateRefreshToken(refreshTokenHash(refreshToken), { hash: refreshTokenHash(next), ttlSeconds: config.AUTH_REFRESH_TOKEN_TTL_SECONDS });
      if (result.outcome === 'reused') {
        throw new HttpError(401, 'refresh_token_reused', 'This refresh token was already used; every token of its login is now revoked. Log in again.');
      }
      const user = result.outcome === 'rotated' ? await store.findUser(result.userId) : null;
      if (!user) throw new HttpError(401, 'invalid_token', 'The refresh token is invalid, expired or revoked.');
      return { accessToken: await accessTokens.sign(user), refreshToken: next, expiresIn: accessTokens.expiresIn };
    },

    async logout({ refreshToken }: { refreshToken: string }): Promise<void> {
      await store.revokeFamily(refreshTokenHash(refreshToken));
    },

    /** @param id the access token's subject */
    async me(id: string): Promise<AuthUser> {
      const user = await store.findUser(id);
      if (!user) throw new HttpError(401, 'invalid_token', 'The account of this token no longer exists.');
      return user;
    },
  };
}

/** The auth service's operations, as the controller calls them. */
export type AuthService = ReturnType<typeof createAuthService>;
