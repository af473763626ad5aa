import { readFileSync } from 'node:fs';
import client from 'prom-client';

/**
 * A Prometheus registry with the default Node.js metrics and the HTTP request metrics, labelled by
 * method, route template (never the raw URL, which would explode cardinality) and status code.
 * Each call creates its own registry, so tests can build many apps. `render` is what /metrics
 * answers: this registry, or the whole PM2 cluster's (src/worker-metrics.ts).
 */
export function createMetrics() {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  const labelNames = ['method', 'route', 'status_code'] as const;
  const httpRequestDuration = new client.Histogram({
    name: 'http_request_duration_seconds',
    help: 'Duration of HTTP requests in seconds, by method, route template and status code.',
    labelNames,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const httpRequests = new client.Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by method, route template and status code.',
    labelNames,
    registers: [registry],
  });
  new client.Gauge({
    name: 'process_cpu_limit_cores',
    help: 'CPU the process can use, in cores: its cgroup quota, at most the one core that runs JavaScript.',
    registers: [registry],
  }).set(cpuLimitCores());
  return { registry, httpRequestDuration, httpRequests, render: (): Promise<string> => registry.metrics() };
}

/** The registry and HTTP metrics of one process, and what /metrics answers. */
export type Metrics = ReturnType<typeof createMetrics>;

/** What `fn` returns, or undefined when it throws (a file that does not exist). */
function attempt<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}

/**
 * The CPU this process may use, in cores: the container's quota (cgroup v2 `cpu.max`, or v1's
 * `cpu.cfs_quota_us` over `cpu.cfs_period_us`) when there is one, capped at 1 because JavaScript
 * runs on one thread. The saturation alert compares CPU use with this, so it fires under a
 * Kubernetes limit of 500m as it does on a whole core.
 *
 * @param read reads a file (tests pass their own)
 */
export function cpuLimitCores(read: (path: string) => string = (path) => readFileSync(path, 'utf8')): number {
  const v2 = attempt(() => read('/sys/fs/cgroup/cpu.max').trim().split(/\s+/));
  let quota = v2 && v2[0] !== 'max' ? Number(v2[0]) / Number(v2[1]) : undefined;
  if (quota === undefined && !v2) {
    const v1 = attempt(() => Number(read('/sys/fs/cgroup/cpu/cpu.cfs_quota_us')) / Number(read('/sys/fs/cgroup/cpu/cpu.cfs_period_us')));
    quota = v1 !== undefined && v1 > 0 ? v1 : undefined;
  }
  return quota !== undefined && Number.isFinite(quota) && quota > 0 ? Math.min(quota, 1) : 1;
}
