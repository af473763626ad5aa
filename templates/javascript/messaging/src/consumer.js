import { createServer } from 'node:http';
import express from 'express';
import { loadConfigOrExit } from './config.js';
import { trackConnections } from './connections.js';
import { createDependencies } from './dependencies.js';
import { createLifecycle, exitOnSignals, shutdown } from './lifecycle.js';
import { createLogger } from './logger.js';
import { createMetrics } from './metrics.js';
import { errorHandler } from './middleware/error-handler.js';
import { notFound } from './middleware/not-found.js';
import { requestId } from './middleware/request-id.js';
import { healthRouter } from './routes/health.router.js';
import { createHealthService } from './services/health.service.js';
import { packageInfo } from './package-info.js';
import { createWorkers } from './workers.js';

/**
 * `npm run consumer`: the event consumer as a process of its own (its own Deployment, scaled
 * apart from the web service; set MESSAGING_CONSUMER_MODE=separate so the web process leaves the
 * events to it). It serves only the probes and /metrics on PORT. On SIGTERM or SIGINT readiness
 * fails, the consumer stops taking events, those in flight finish and are acknowledged, then the
 * connections close.
 */
async function main() {
  const config = loadConfigOrExit(process.env);
  const logger = createLogger(config).child({ process: 'consumer' });
  const metrics = createMetrics();
  const dependencies = createDependencies(config, logger, metrics);
  const lifecycle = createLifecycle();

  const app = express();
  app.use(requestId());
  app.use(healthRouter({ health: createHealthService({ dependencies, lifecycle, info: packageInfo }), metrics }));
  app.use(notFound);
  app.use(errorHandler({ exposeDetails: false }));
  const server = createServer(app);
  const connections = trackConnections(server, lifecycle);
  server.on('error', (err) => {
    logger.fatal({ err }, 'probe server failed');
    process.exit(1);
  });
  server.listen({ port: config.PORT, host: config.HOST }, () => logger.info({ port: server.address().port }, 'consumer probes listening'));

  for (const dependency of Object.values(dependencies)) {
    dependency.connect?.().catch((err) => logger.error({ err, dependency: dependency.name }, 'dependency unavailable at start-up'));
  }
  const workers = createWorkers({ config, logger, metrics, dependencies, role: 'consumer' });
  for (const worker of workers) worker.start();

  exitOnSignals(logger, async () => {
    const clean = await shutdown({ connections, lifecycle, workers, dependencies, logger, delayMs: config.SHUTDOWN_DELAY_MS, timeoutMs: config.SHUTDOWN_TIMEOUT_MS });
    if (clean) logger.info('stopped');
    else logger.error({ timeoutMs: config.SHUTDOWN_TIMEOUT_MS }, 'shutdown timed out');
    return clean;
  });
}

await main();
