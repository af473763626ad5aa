import { Router } from 'express';
import { healthController } from '../controllers/health.controller.js';

/**
 * Probes and metrics: /live (the process is alive), /ready (dependencies reachable, 503 while
 * draining), /health (summary with uptime and version) and /metrics (Prometheus). Exact paths
 * only: Express otherwise also matches `/METRICS` and `/metrics/`, which a proxy that keeps
 * `/metrics` private by its exact name would let through.
 *
 * @param {{ health: ReturnType<import('../services/health.service.js').createHealthService>, metrics: { registry: import('prom-client').Registry } }} options
 */
export function healthRouter({ health, metrics }) {
  const controller = healthController({ health, metrics });
  const router = Router({ caseSensitive: true, strict: true });
  router.get('/live', controller.live);
  router.get('/ready', controller.ready);
  router.get('/health', controller.health);
  router.get('/metrics', controller.metrics);
  return router;
}
