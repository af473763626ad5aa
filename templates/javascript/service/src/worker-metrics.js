import cluster from 'node:cluster';
import { lstatSync, mkdirSync, readdirSync, unlinkSync } from 'node:fs';
import { createServer, get } from 'node:http';
import { join } from 'node:path';
import client from 'prom-client';

/** How long one worker may take to hand over its metrics before a scrape goes on without it. */
const PEER_TIMEOUT_MS = 1000;

/**
 * Metrics for the whole PM2 cluster from any one worker. PM2's workers share one port, so a scrape
 * of /metrics reaches whichever worker the primary picks; each has its own registry, and counters
 * would jump between workers and look like resets. prom-client's AggregatorRegistry needs code in
 * the cluster primary, which under PM2 is PM2's daemon. So each worker labels its series
 * `worker="<NODE_APP_INSTANCE>"` and serves them as JSON on its own Unix socket in a private
 * directory; the worker that is scraped reads every peer's, merges them with prom-client's
 * aggregation and answers the whole cluster. Series stay per worker, so a reloaded worker's
 * counters reset on their own (as `rate()` expects) and `sum()` adds the workers up.
 *
 * Outside PM2's cluster mode this returns undefined and /metrics serves the process's registry.
 *
 * @param {object} options
 * @param {import('prom-client').Registry} options.registry this worker's registry
 * @param {import('pino').Logger} options.logger
 * @param {NodeJS.ProcessEnv} [options.env] PM2 sets NODE_APP_INSTANCE, PM2_HOME and name
 * @param {boolean} [options.isWorker] whether this process is a cluster worker
 * @returns {Promise<{ render(): Promise<string>, close(): Promise<void> } | undefined>}
 */
export async function shareWorkerMetrics({ registry, logger, env = process.env, isWorker = cluster.isWorker }) {
  const instance = env.NODE_APP_INSTANCE;
  if (!isWorker || instance === undefined || !env.PM2_HOME || !env.name) return undefined;
  registry.setDefaultLabels({ worker: instance });

  const dir = join(env.PM2_HOME, 'metrics', env.name);
  privateDirectory(dir);
  // Instance, start time and pid: a reloaded worker's successor has the same instance and starts later.
  const started = Math.round(performance.timeOrigin);
  const own = `${instance}-${started}-${process.pid}.sock`;
  const server = createServer((req, res) => {
    registry.getMetricsAsJSON().then(
      (metrics) => res.setHeader('Content-Type', 'application/json').end(JSON.stringify(metrics)),
      (err) => {
        logger.error({ err }, 'worker metrics failed');
        res.statusCode = 500;
        res.end();
      },
    );
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    // Exclusive: the socket is this worker's own, not a handle the cluster primary shares.
    server.listen({ path: join(dir, own), exclusive: true }, resolve);
  });
  server.unref();

  return {
    async render() {
      // Peers in instance order, so every worker answers with the same exposition.
      const peers = latestPerInstance(readdirSync(dir), instance);
      const [mine, ...theirs] = await Promise.all([registry.getMetricsAsJSON(), ...peers.map((name) => readPeer(dir, name, logger))]);
      const byInstance = [[instance, mine], ...peers.map((name, i) => [name.split('-')[0], theirs[i]])];
      const all = byInstance.filter(([, metrics]) => metrics).sort(([a], [b]) => a - b).map(([, metrics]) => metrics);
      // Every series carries its worker label, so no two workers' values meet: keep each as it is
      // ('first' of one), including those prom-client's cluster aggregation would sum or omit.
      for (const metric of all.flat()) metric.aggregator = 'first';
      return client.AggregatorRegistry.aggregate(all).metrics();
    },
    close() {
      // Peers stop reading this worker; its own scrapes still include itself.
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
    },
  };
}

/**
 * Creates `dir` readable by this user only, and refuses one that another user owns or can read:
 * a peer's socket there would be trusted.
 *
 * @param {string} dir
 */
function privateDirectory(dir) {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stat = lstatSync(dir);
  if (!stat.isDirectory() || stat.uid !== process.getuid() || (stat.mode & 0o077) !== 0) {
    throw new Error(`${dir} must be a directory of this user's with mode 700 to share worker metrics`);
  }
}

/**
 * The newest socket of each instance other than `own`: during `pm2 reload` a worker and its
 * successor both run for a moment, and the successor's series are the ones that go on.
 *
 * @param {string[]} names socket file names `<instance>-<start>-<pid>.sock`
 * @param {string} own this worker's instance
 * @returns {string[]}
 */
export function latestPerInstance(names, own) {
  const newest = new Map();
  for (const name of names) {
    const match = /^(\d+)-(\d+)-\d+\.sock$/.exec(name);
    if (!match || match[1] === own) continue;
    const previous = newest.get(match[1]);
    if (!previous || Number(match[2]) > previous.started) newest.set(match[1], { name, started: Number(match[2]) });
  }
  return [...newest.values()].map((entry) => entry.name);
}

/**
 * One peer's metrics, or undefined when it cannot answer in time. The socket of a worker that is
 * gone (refused, or missing) is removed.
 *
 * @param {string} dir
 * @param {string} name
 * @param {import('pino').Logger} logger
 */
function readPeer(dir, name, logger) {
  const socketPath = join(dir, name);
  return new Promise((resolve) => {
    const request = get({ socketPath, path: '/', agent: false, timeout: PEER_TIMEOUT_MS }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => {
        try {
          resolve(res.statusCode === 200 ? JSON.parse(body) : undefined);
        } catch {
          resolve(undefined);
        }
      });
      res.on('error', () => resolve(undefined));
    });
    request.on('timeout', () => {
      logger.warn({ peer: name, timeoutMs: PEER_TIMEOUT_MS }, 'a worker did not hand over its metrics in time');
      request.destroy();
    });
    request.on('error', (err) => {
      if (err.code === 'ECONNREFUSED' || err.code === 'ENOENT') {
        try {
          unlinkSync(socketPath);
        } catch {
          // Another worker removed it first.
        }
      }
      resolve(undefined);
    });
  });
}
