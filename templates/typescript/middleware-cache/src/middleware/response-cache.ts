import { createHash } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { abortable } from '../abortable.ts';
import type { Dependency } from '../dependencies.ts';
import { packageInfo } from '../package-info.ts';

/** Methods that change a resource: a successful one invalidates its cached answers. */
const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Below /api, `/v1/order-items/123?limit=2` belongs to `v1`: one write invalidates every answer of
 * its API version, as a write to one resource can change another's (a cascading delete, a
 * reference set to null, a nested list such as /v1/customers/:id/orders).
 */
const resourceOf = (path: string) => path.split('/')[1] ?? '';

/** Whose answers these are: nobody's, or one API key's (never the key itself). */
function partitionOf(req: Request) {
  const key = req.get('x-api-key');
  return key ? createHash('sha256').update(key).digest('base64url') : 'public';
}

/** What the cache uses of a node-redis client (src/cache/redis.ts); tests pass a fake. */
export interface CacheClient {
  readonly isReady: boolean;
  get(key: string): Promise<string | null>;
  set(key: string, value: string, options: { expiration: { type: 'EX'; value: number } }): Promise<unknown>;
  incr(key: string): Promise<unknown>;
}

/**
 * Caches successful JSON answers to GET requests in Redis for CACHE_TTL_SECONDS, keyed by URL,
 * and serves them with `X-Cache: HIT`. Every successful write (POST, PUT, PATCH, DELETE) to a
 * resource bumps the version of its part of the API (the first segment below where it is mounted:
 * the API version), which is part of every key, so stale entries are never
 * read again and simply expire: invalidation is one INCR, whatever the number of cached pages.
 * Keys start with the service's name, so services sharing a Redis never read each other's.
 *
 * Caching never stands in for authentication. A request with an `Authorization` header is
 * neither answered from the cache nor stored (as RFC 9111 asks of a shared cache): its token is
 * checked later, by the resource's router, and must be checked on every request. An `X-API-Key`
 * has been checked before the cache (the api-key middleware comes first), and each key has its
 * own entries, so one caller's answers are never served to another. Requests with
 * `Cache-Control: no-cache` skip the cache. When Redis is disconnected, or does not answer a
 * lookup within REDIS_COMMAND_TIMEOUT_MS, the service answers from the handlers as if there
 * were no cache.
 *
 * @param redis the Redis dependency (undefined: no cache)
 */
export function responseCache(
  { CACHE_TTL_SECONDS: ttl, REDIS_COMMAND_TIMEOUT_MS: timeoutMs = 250 }: { CACHE_TTL_SECONDS: number; REDIS_COMMAND_TIMEOUT_MS?: number },
  redis?: Partial<Dependency> & { client?: CacheClient },
): RequestHandler {
  const client = redis?.client;
  // A lookup that outlives the deadline is abandoned: the request goes on without the cache.
  const within = <T>(command: Promise<T>) => abortable(command, AbortSignal.timeout(timeoutMs));
  const prefix = `${packageInfo.name}:cache`;
  const versionKey = (resource: string) => `${prefix}:version:${resource}`;

  return async (req, res, next) => {
    const resource = resourceOf(req.path);
    if (WRITES.has(req.method)) {
      res.once('finish', () => {
        if (res.statusCode < 400 && client?.isReady) client.incr(versionKey(resource)).catch(() => {});
      });
      next();
      return;
    }
    if (req.method !== 'GET' || !client?.isReady || req.get('authorization') !== undefined || req.get('cache-control')?.includes('no-cache')) {
      next();
      return;
    }
    let key: string;
    try {
      const version = (await within(client.get(versionKey(resource)))) ?? '0';
      key = `${prefix}:${resource}:${version}:${partitionOf(req)}:${req.originalUrl}`;
      const hit = await within(client.get(key));
      if (hit !== null) {
        res.set('X-Cache', 'HIT').type('application/json').send(hit);
        return;
      }
    } catch {
      next(); // Redis trouble must not fail the request
      return;
    }
    const json = res.json.bind(res);
    res.json = (body: unknown) => {
      if (res.statusCode === 200) {
        client.set(key, JSON.stringify(body), { expiration: { type: 'EX', value: ttl } }).catch(() => {});
      }
      res.set('X-Cache', 'MISS');
      return json(body);
    };
    next();
  };
}
