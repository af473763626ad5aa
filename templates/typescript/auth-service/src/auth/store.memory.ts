import { randomUUID } from 'node:crypto';
import type { AuthStore, AuthUser } from './auth.service.ts';

interface StoredUser extends AuthUser {
  passwordHash: string;
  updatedAt: string;
}

/** A token's map key: its hash in hex. */
const key = (hash: Buffer) => hash.toString('hex');

/** An account as the API shows it, a copy. */
const publicUser = ({ id, email, roles, createdAt }: AuthUser): AuthUser => ({ id, email, roles: [...roles], createdAt });

interface StoredToken {
  familyId: string;
  userId: string;
  expiresAt: number;
  usedAt: number | null;
  revokedAt: number | null;
}

/**
 * The auth service's accounts, refresh tokens and failed-login counts in memory, behind the
 * interface of the PostgreSQL store: what the tests use when no database is given. Each method
 * completes without awaiting in between, so each is atomic as the database's transactions are.
 */
export function createMemoryAuthStore(): AuthStore {
  const users = new Map<string, StoredUser>();
  const byEmail = new Map<string, string>();
  const tokens = new Map<string, StoredToken>();
  const failures = new Map<string, { windowStart: number; count: number }>();
  const revoke = (familyId: string, now: number) => {
    for (const other of tokens.values()) if (other.familyId === familyId && other.revokedAt === null) other.revokedAt = now;
  };

  return {
    async createUser({ email, passwordHash, roles }) {
      if (byEmail.has(email)) return null;
      const now = new Date().toISOString();
      const user = { id: randomUUID(), email, passwordHash, roles: [...roles], createdAt: now, updatedAt: now };
      users.set(user.id, user);
      byEmail.set(email, user.id);
      return publicUser(user);
    },

    async findUserByEmail(email) {
      const id = byEmail.get(email);
      const user = id === undefined ? undefined : users.get(id);
      return user ? { ...publicUser(user), passwordHash: user.passwordHash } : null;
    },

    async findUser(id) {
      const user = users.get(id);
      return user ? publicUser(user) : null;
    },

    async updatePasswordHash(id, passwordHash) {
      const user = users.get(id);
      if (user) Object.assign(user, { passwordHash, updatedAt: new Date().toISOString() });
    },

    async addRefreshToken({ hash, userId, ttlSeconds }) {
      const now = Date.now();
      for (const [id, token] of tokens) if (token.userId === userId && token.expiresAt <= now) tokens.delete(id);
      tokens.set(key(hash), { familyId: randomUUID(), userId, expiresAt: now + ttlSeconds * 1000, usedAt: null, revokedAt: null });
    },

    async rotateRefreshToken(hash, next) {
      const token = tokens.get(key(hash));
      const now = Date.now();
      if (!token || token.revokedAt !== null) return { outcome: 'invalid' };
      if (token.usedAt !== null) {
        revoke(token.familyId, now);
        return { outcome: 'reused' };
      }
      if (token.expiresAt <= now) return { outcome: 'invalid' };
      token.usedAt = now;
      tokens.set(key(next.hash), { familyId: token.familyId, userId: token.userId, expiresAt: now + next.ttlSeconds * 1000, usedAt: null, revokedAt: null });
      return { outcome: 'rotated', userId: token.userId };
    },

    async revokeFamily(hash) {
      const token = tokens.get(key(hash));
      if (token) revoke(token.familyId, Date.now());
    },

    async failures(name, windowSeconds) {
      const entry = failures.get(name);
      const left = entry ? entry.windowStart + windowSeconds * 1000 - Date.now() : 0;
      return entry && left > 0 ? { count: entry.count, retryAfter: Math.ceil(left / 1000) } : { count: 0, retryAfter: 0 };
    },

    async recordFailure(name, windowSeconds) {
      const entry = failures.get(name);
      const now = Date.now();
      if (!entry || entry.windowStart + windowSeconds * 1000 <= now) failures.set(name, { windowStart: now, count: 1 });
      else entry.count += 1;
    },

    async clearFailures(name) {
      failures.delete(name);
    },
  };
}
