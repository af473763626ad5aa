import { Router } from 'express';
import { healthController } from '../controllers/health.controller.js';
import { methodNotAllowed } from '../middleware/method-not-allowed.js';

/**
 * Probes and metrics: /live (the process is alive), /ready (dependencies reachable, 503 while
 * draining), /health (summary with uptime and version) and /metrics (Prometheus). Exact paths
 * only: Express otherwise also matches `/METRICS` and `/metrics/`, which a proxy that keeps
 * `/metrics` private by its exact name would let through. Other methods are answered 405.
 *
 * @param {{ health: ReturnType<import('../services/health.service.js').createHealthService>, metrics: { registry: import('prom-client').Registry, render(): Promise<string> } }} options
 */
export function healthRouter({ health, metrics }) {
  const controller = healthController({ health, metrics });
  const router = Router({ caseSensitive: true, strict: true });
  const getOnly = methodNotAllowed('GET');
  router.route('/live').get(controller.live).all(getOnly);
  router.route('/ready').get(controller.ready).all(getOnly);
  router.route('/health').get(controller.health).all(getOnly);
  router.route('/metrics').get(controller.metrics).all(getOnly);
  return router;
}
