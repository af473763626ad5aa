import type { Request, RequestHandler } from 'express';
import type { Metrics } from '../metrics.ts';

/**
 * Times every request and counts it by method, route template and status code. The label is the
 * matched route (`/api/v1/orders/:id`), or `unmatched`, never the raw URL. Scrapes of /metrics
 * are not measured.
 *
 * The label children are cached per method, route and status (a small, bounded set), so a
 * request costs two lookups instead of hashing its labels twice.
 */
export function httpMetrics({ httpRequestDuration, httpRequests }: Pick<Metrics, 'httpRequestDuration' | 'httpRequests'>): RequestHandler {
  type Child = { duration: ReturnType<typeof httpRequestDuration.labels>; count: ReturnType<typeof httpRequests.labels> };
  const children = new Map<string, Child>();
  const childrenFor = (method: string, route: string, status: string) => {
    const key = `${method} ${status} ${route}`;
    let child = children.get(key);
    if (!child) {
      child = { duration: httpRequestDuration.labels(method, route, status), count: httpRequests.labels(method, route, status) };
      children.set(key, child);
    }
    return child;
  };

  return (req, res, next) => {
    if (req.path === '/metrics') {
      next();
      return;
    }
    const start = process.hrtime.bigint();
    res.once('finish', () => {
      const child = childrenFor(req.method, routeTemplate(req), String(res.statusCode));
      child.duration.observe(Number(process.hrtime.bigint() - start) / 1e9);
      child.count.inc();
    });
    next();
  };
}

/** The route template that matched the request, including the router's mount path. */
export function routeTemplate(req: Request): string {
  return req.route ? `${req.baseUrl}${(req.route as { path: string }).path}` : 'unmatched';
}
