import { Router } from 'express';
import { healthController } from '../controllers/health.controller.ts';
import { methodNotAllowed } from '../middleware/method-not-allowed.ts';
import type { Metrics } from '../metrics.ts';
import type { HealthService } from '../services/health.service.ts';

/**
 * Probes and metrics: /live (the process is alive), /ready (dependencies reachable, 503 while
 * draining), /health (summary with uptime and version) and /metrics (Prometheus). Exact paths
 * only: Express otherwise also matches `/METRICS` and `/metrics/`, which a proxy that keeps
 * `/metrics` private by its exact name would let through. Other methods are answered 405.
 */
export function healthRouter({ health, metrics }: { health: HealthService; metrics: Pick<Metrics, 'registry' | 'render'> }): Router {
  const controller = healthController({ health, metrics });
  const router = Router({ caseSensitive: true, strict: true });
  const getOnly = methodNotAllowed('GET');
  router.route('/live').get(controller.live).all(getOnly);
  router.route('/ready').get(controller.ready).all(getOnly);
  router.route('/health').get(controller.health).all(getOnly);
  router.route('/metrics').get(controller.metrics).all(getOnly);
  return router;
}
