import type { Request, Response } from 'express';
import type { Metrics } from '../metrics.ts';
import type { HealthService } from '../services/health.service.ts';

/** HTTP handlers for the probes; the decisions live in the health service. */
export function healthController({ health, metrics }: { health: HealthService; metrics: Pick<Metrics, 'registry' | 'render'> }) {
  return {
    live: (_req: Request, res: Response) => {
      res.set('Cache-Control', 'no-store').json({ status: 'ok' });
    },

    ready: async (_req: Request, res: Response) => {
      const report = await health.readiness();
      res.set('Cache-Control', 'no-store').status(report.ready ? 200 : 503).json(report);
    },

    health: async (_req: Request, res: Response) => {
      res.set('Cache-Control', 'no-store').json(await health.summary());
    },

    metrics: async (_req: Request, res: Response) => {
      res.set('Cache-Control', 'no-store').type(metrics.registry.contentType).send(await metrics.render());
    },
  };
}
