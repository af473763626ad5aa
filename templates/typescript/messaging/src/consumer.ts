import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { loadConfigOrExit } from './config.ts';
import { trackConnections } from './connections.ts';
import { createDependencies } from './dependencies.ts';
import { createLifecycle, exitOnSignals, shutdown } from './lifecycle.ts';
import { createLogger } from './logger.ts';
import { createMetrics } from './metrics.ts';
import { errorHandler } from './middleware/error-handler.ts';
import { notFound } from './middleware/not-found.ts';
import { requestId } from './middleware/request-id.ts';
import { healthRouter } from './routes/health.router.ts';
import { createHealthService } from './services/health.service.ts';
import { packageInfo } from './package-info.ts';
import { createWorkers } from './workers.ts';

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
  server.listen({ port: config.PORT, host: config.HOST }, () => logger.info({ port: (server.address() as AddressInfo).port }, 'consumer probes listening'));

  for (const dependency of Object.values(dependencies)) {
    dependency.connect?.().catch((err: unknown) => logger.error({ err, dependency: dependency.name }, 'dependency unavailable at start-up'));
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
