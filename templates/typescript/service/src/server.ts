import cluster from 'node:cluster';
import type { Worker } from 'node:cluster';
import { createServer } from 'node:http';
import { flushCompileCache } from 'node:module';
import type { AddressInfo } from 'node:net';
import { createApp } from './app.ts';
import { loadConfigOrExit } from './config.ts';
import { trackConnections } from './connections.ts';
import { createDependencies } from './dependencies.ts';
import { createLifecycle, exitOnSignals, shutdown } from './lifecycle.ts';
import { createLogger } from './logger.ts';
import { createMetrics } from './metrics.ts';
import { shareWorkerMetrics } from './worker-metrics.ts';
import { createWorkers } from './workers.ts';

/**
 * Entry point: validates the configuration, starts the HTTP server and the workers (src/workers.ts)
 * and owns the process lifecycle. On SIGTERM or SIGINT readiness fails first, the server stops
 * accepting, in-flight requests and the workers finish, dependencies close, and the process
 * exits before SHUTDOWN_TIMEOUT_MS.
 */
async function main() {
  const config = loadConfigOrExit(process.env);

  const logger = createLogger(config);
  const metrics = createMetrics();
  const dependencies = createDependencies(config, logger, metrics);
  const lifecycle = createLifecycle();
  // Under PM2's cluster mode /metrics answers for every worker, not just the one scraped.
  const workerMetrics = await shareWorkerMetrics({ registry: metrics.registry, logger }).catch((err: unknown) => {
    logger.error({ err }, 'worker metrics are not shared; /metrics answers for this worker only');
    return undefined;
  });
  const app = createApp({
    config,
    logger,
    dependencies,
    lifecycle,
    metrics: workerMetrics ? { ...metrics, render: () => workerMetrics.render() } : metrics,
  });

  const server = createServer(app);
  // Idle keep-alive connections must outlive the load balancer's, or it reuses a closed socket;
  // headers must time out after keep-alive, as Node recommends.
  server.keepAliveTimeout = config.KEEP_ALIVE_TIMEOUT_MS;
  server.headersTimeout = config.KEEP_ALIVE_TIMEOUT_MS + 1000;
  server.requestTimeout = config.REQUEST_TIMEOUT_MS;
  const connections = trackConnections(server, lifecycle);

  server.on('error', (err) => {
    logger.fatal({ err }, 'HTTP server failed');
    process.exit(1);
  });
  server.listen({ port: config.PORT, host: config.HOST }, () => {
    const address = server.address() as AddressInfo;
    logger.info({ port: address.port, address: address.address }, 'listening');
    // A process manager with an IPC channel (PM2's wait_ready) learns that this instance serves.
    process.send?.('ready');
  });

  for (const dependency of Object.values(dependencies)) {
    dependency.connect?.().catch((err: unknown) => logger.error({ err, dependency: dependency.name }, 'dependency unavailable at start-up'));
  }
  const workers = createWorkers({ config, logger, metrics, dependencies, role: 'web' });
  for (const worker of workers) worker.start();

  exitOnSignals(logger, async () => {
    const clean = await shutdown({
      connections,
      lifecycle,
      workers,
      dependencies,
      logger,
      delayMs: config.SHUTDOWN_DELAY_MS,
      timeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    });
    await workerMetrics?.close();
    // A cluster worker (PM2) leaves once the primary has acknowledged that it stopped listening,
    // so a connection the primary handed over just before is given to another worker, not lost.
    if (cluster.worker) await leaveCluster(cluster.worker);
    if (clean) logger.info('stopped');
    else logger.error({ timeoutMs: config.SHUTDOWN_TIMEOUT_MS }, 'shutdown timed out; connections were cut');
    return clean;
  });
}

/**
 * Disconnects a cluster worker from its primary (its servers are already closed). The primary
 * answers in order, after every connection it sent before it saw the listener close; each of
 * those is refused by this worker and given to another.
 */
function leaveCluster(worker: Worker): Promise<void> {
  return new Promise((resolve) => {
    if (!worker.isConnected()) {
      resolve();
      return;
    }
    worker.once('disconnect', resolve);
    worker.disconnect();
    // A primary that never answers must not hold the exit for ever.
    setTimeout(resolve, 1000).unref();
  });
}

// The image build runs `node src/server.ts --warm-compile-cache` as the runtime user: every module is
// loaded (stripped of its types) and kept in NODE_COMPILE_CACHE, so a container starts as fast
// as plain JavaScript.
if (process.argv.includes('--warm-compile-cache')) {
  flushCompileCache();
  process.exit(0);
}
await main();
