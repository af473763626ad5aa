import { rateLimit } from 'express-rate-limit';
import type { RequestHandler } from 'express';
import type { Dependency } from '../dependencies.ts';
import { HttpError } from '../errors.ts';
import { RedisStore } from './rate-limit-store.ts';
import type { CountingClient } from './rate-limit-store.ts';

/**
 * Limits each client to RATE_LIMIT_MAX requests per RATE_LIMIT_WINDOW_MS on the API (probes are
 * not limited). Clients are told their budget in the IETF draft-7 `RateLimit` headers; the
 * draft-8 format is avoided because it hashes every request. Clients are told by IP address as
 * Express sees it, so TRUST_PROXY must name the proxies in front of the service.
 *
 * With a Redis client the counts are shared by every replica; without one they live in this
 * process's memory, and the effective limit is RATE_LIMIT_MAX times the replica count. When Redis
 * fails, requests are let through (`passOnStoreError`) rather than refused.
 *
 * @param redis the project's Redis dependency, if it has one
 */
export function rateLimiter(
  { RATE_LIMIT_WINDOW_MS: windowMs, RATE_LIMIT_MAX: limit, REDIS_COMMAND_TIMEOUT_MS: timeoutMs }: { RATE_LIMIT_WINDOW_MS: number; RATE_LIMIT_MAX: number; REDIS_COMMAND_TIMEOUT_MS?: number },
  redis?: Partial<Dependency> & { client?: CountingClient },
): RequestHandler {
  const client = redis?.client;
  return rateLimit({
    windowMs,
    limit,
    ...(client ? { store: new RedisStore(client, { timeoutMs }) } : {}),
    passOnStoreError: true,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    handler(_req, _res, next) {
      next(new HttpError(429, 'rate_limited', `Too many requests: at most ${limit} per ${windowMs / 1000} s.`));
    },
  });
}
