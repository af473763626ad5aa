/**
 * HTTP handlers for the probes; the decisions live in the health service.
 *
 * @param {{ health: ReturnType<import('../services/health.service.js').createHealthService>, metrics: { registry: import('prom-client').Registry, render(): Promise<string> } }} options
 */
export function healthController({ health, metrics }) {
  return {
    live(_req, res) {
      res.set('Cache-Control', 'no-store').json({ status: 'ok' });
    },

    async ready(_req, res) {
      const report = await health.readiness();
      res.set('Cache-Control', 'no-store').status(report.ready ? 200 : 503).json(report);
    },

    async health(_req, res) {
      res.set('Cache-Control', 'no-store').json(await health.summary());
    },

    async metrics(_req, res) {
      res.set('Cache-Control', 'no-store').type(metrics.registry.contentType).send(await metrics.render());
    },
  };
}
