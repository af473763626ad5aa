/**
 * Caches successful JSON answers to GET requests in Redis for CACHE_TTL_SECONDS, keyed by URL,
 * and serves them with `X-Cache: HIT`. Every successful write (POST, PUT, PATCH, DELETE) to a
 * resource bumps that resource's version, which is part of every key, so stale entries are never
 * read again and simply expire: invalidation is one INCR, whatever the number of cached pages.
 *
 * Responses must not differ between callers (the generated resources do not). Requests with
 * `Cache-Control: no-cache` skip the cache. When Redis is unavailable the service answers from
 * the handlers as if there were no cache.
 *
 * @param {{ CACHE_TTL_SECONDS: number }} config
 * @param {import('redis').RedisClientType | undefined} client node-redis client (undefined: no cache)
 */
export function responseCache({ CACHE_TTL_SECONDS: ttl }, client) {
  const usable = () => client?.isReady;
  // `/order-items/123?limit=2` belongs to the resource `order-items`.
  const resourceOf = (path) => path.split('/')[1] ?? '';
  const versionKey = (resource) => `cache:version:${resource}`;

  return async (req, res, next) => {
    const resource = resourceOf(req.path);
    if (req.method !== 'GET') {
      res.once('finish', () => {
        if (res.statusCode < 400 && usable()) client.incr(versionKey(resource)).catch(() => {});
      });
      next();
      return;
    }
    if (!usable() || req.get('cache-control')?.includes('no-cache')) {
      next();
      return;
    }
    let key;
    try {
      const version = (await client.get(versionKey(resource))) ?? '0';
      key = `cache:${resource}:${version}:${req.originalUrl}`;
      const hit = await client.get(key);
      if (hit !== null) {
        res.set('X-Cache', 'HIT').type('application/json').send(hit);
        return;
      }
    } catch {
      next(); // Redis trouble must not fail the request
      return;
    }
    const json = res.json.bind(res);
    res.json = (body) => {
      if (res.statusCode === 200) {
        client.set(key, JSON.stringify(body), { expiration: { type: 'EX', value: ttl } }).catch(() => {});
      }
      res.set('X-Cache', 'MISS');
      return json(body);
    };
    next();
  };
}
