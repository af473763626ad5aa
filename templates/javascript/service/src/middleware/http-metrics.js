/**
 * Times every request and counts it by method, route template and status code. The label is the
 * matched route (`/api/v1/orders/:id`), or `unmatched`, never the raw URL. Scrapes of /metrics
 * are not measured.
 *
 * @param {ReturnType<import('../metrics.js').createMetrics>} metrics
 */
export function httpMetrics({ httpRequestDuration, httpRequests }) {
  return (req, res, next) => {
    if (req.path === '/metrics') {
      next();
      return;
    }
    const end = httpRequestDuration.startTimer();
    res.once('finish', () => {
      const labels = { method: req.method, route: routeTemplate(req), status_code: String(res.statusCode) };
      end(labels);
      httpRequests.inc(labels);
    });
    next();
  };
}

/** The route template that matched the request, including the router's mount path. */
export function routeTemplate(req) {
  return req.route ? `${req.baseUrl}${req.route.path}` : 'unmatched';
}
