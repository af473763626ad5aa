import cluster from 'node:cluster';
import { lstatSync, mkdirSync, readdirSync, unlinkSync } from 'node:fs';
import { createServer, get } from 'node:http';
import { join } from 'node:path';
import client from 'prom-client';
import type { MetricObjectWithValues, MetricValue, Registry } from 'prom-client';
import type { Logger } from 'pino';

/** One metric of a registry as `getMetricsAsJSON` gives it, with the aggregation to apply. */
type Metric = MetricObjectWithValues<MetricValue<string>> & { aggregator: string };

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
 * `env` is where PM2 sets NODE_APP_INSTANCE, PM2_HOME and name; `isWorker` whether this process
 * is a cluster worker.
 */
export async function shareWorkerMetrics({
  registry,
  logger,
  env = process.env,
  isWorker = cluster.isWorker,
}: {
  registry: Registry;
  logger: Logger;
  env?: NodeJS.ProcessEnv;
  isWorker?: boolean;
}): Promise<{ render(): Promise<string>; close(): Promise<void> } | undefined> {
  const instance = env['NODE_APP_INSTANCE'];
  if (!isWorker || instance === undefined || !env['PM2_HOME'] || !env['name']) return undefined;
  registry.setDefaultLabels({ worker: instance });

  const dir = join(env['PM2_HOME'], 'metrics', env['name']);
  privateDirectory(dir);
  // Instance, start time and pid: a reloaded worker's successor has the same instance and starts later.
  const started = Math.round(performance.timeOrigin);
  const own = `${instance}-${started}-${process.pid}.sock`;
  const server = createServer((_req, res) => {
    registry.getMetricsAsJSON().then(
      (metrics) => res.setHeader('Content-Type', 'application/json').end(JSON.stringify(metrics)),
      (err: unknown) => {
        logger.error({ err }, 'worker metrics failed');
        res.statusCode = 500;
        res.end();
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // Exclusive: the socket is this worker's own, not a handle the cluster primary shares.
    server.listen({ path: join(dir, own), exclusive: true }, resolve);
  });
  server.unref();

  return {
    async render() {
      // Peers in instance order, so every worker answers with the same exposition.
      const peers = latestPerInstance(readdirSync(dir), instance);
      const [mine, ...theirs] = await Promise.all([registry.getMetricsAsJSON() as Promise<Metric[]>, ...peers.map((name) => readPeer(dir, name, logger))]);
      const byInstance: [string, Metric[] | undefined][] = [[instance, mine], ...peers.map((name, i): [string, Metric[] | undefined] => [name.split('-')[0]!, theirs[i]])];
      const all = byInstance
        .filter((entry): entry is [string, Metric[]] => entry[1] !== undefined)
        .toSorted(([a], [b]) => Number(a) - Number(b))
        .map(([, metrics]) => metrics);
      // Every series carries its worker label, so no two workers' values meet: keep each as it is
      // ('first' of one), including those prom-client's cluster aggregation would sum or omit.
      for (const metric of all.flat()) metric.aggregator = 'first';
      return client.AggregatorRegistry.aggregate(all).metrics();
    },
    close() {
      // Peers stop reading this worker; its own scrapes still include itself.
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
    },
  };
}

/**
 * Creates `dir` readable by this user only, and refuses one that another user owns or can read:
 * a peer's socket there would be trusted.
 */
function privateDirectory(dir: string) {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stat = lstatSync(dir);
  if (!stat.isDirectory() || stat.uid !== process.getuid?.() || (stat.mode & 0o077) !== 0) {
    throw new Error(`${dir} must be a directory of this user's with mode 700 to share worker metrics`);
  }
}

/**
 * The newest socket of each instance other than `own`: during `pm2 reload` a worker and its
 * successor both run for a moment, and the successor's series are the ones that go on.
 *
 * @param names socket file names `<instance>-<start>-<pid>.sock`
 * @param own this worker's instance
 */
export function latestPerInstance(names: string[], own: string): string[] {
  const newest = new Map<string, { name: string; started: number }>();
  for (const name of names) {
    const match = /^(\d+)-(\d+)-\d+\.sock$/.exec(name);
    if (!match || match[1] === own) continue;
    const [, instance = '', started = ''] = match;
    const previous = newest.get(instance);
    if (!previous || Number(started) > previous.started) newest.set(instance, { name, started: Number(started) });
  }
  return [...newest.values()].map((entry) => entry.name);
}

/**
 * One peer's metrics, or undefined when it cannot answer in time. The socket of a worker that is
 * gone (refused, or missing) is removed.
 */
function readPeer(dir: string, name: string, logger: Logger): Promise<Metric[] | undefined> {
  const socketPath = join(dir, name);
  return new Promise((resolve) => {
    const request = get({ socketPath, path: '/', agent: false, timeout: PEER_TIMEOUT_MS }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => {
        try {
          resolve(res.statusCode === 200 ? (JSON.parse(body) as Metric[]) : undefined);
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
    request.on('error', (err: NodeJS.ErrnoException) => {
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
