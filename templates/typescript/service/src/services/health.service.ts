import type { Dependency } from '../dependencies.ts';

/** How long a dependency check may take before it counts as down. */
export const CHECK_TIMEOUT_MS = 2000;

type State = 'up' | 'down';

/** Readiness and health decisions. */
export function createHealthService({
  dependencies,
  lifecycle,
  info,
}: {
  dependencies: Record<string, Dependency>;
  lifecycle: { readonly draining: boolean };
  info: { name: string; version: string };
}) {
  const required = new Set(Object.entries(dependencies).filter(([, d]) => !d.optional).map(([name]) => name));

  async function checkAll(): Promise<Record<string, State>> {
    const entries = Object.entries(dependencies).flatMap(([name, d]) => (d.check ? [[name, d.check] as const] : []));
    const results = await Promise.allSettled(entries.map(([, check]) => check(AbortSignal.timeout(CHECK_TIMEOUT_MS))));
    return Object.fromEntries(entries.map(([name], i) => [name, results[i]?.status === 'fulfilled' ? 'up' : 'down']));
  }

  return {
    /** Ready when not draining and every dependency the service needs answers (optional ones may be down). */
    async readiness() {
      if (lifecycle.draining) return { ready: false, status: 'draining', checks: {} };
      const checks = await checkAll();
      const ready = Object.entries(checks).every(([name, state]) => state === 'up' || !required.has(name));
      return { ready, status: ready ? 'ready' : 'unavailable', checks };
    },

    /** A summary for people and dashboards; answers 200 whenever the process is serving. */
    async summary() {
      const checks = await checkAll();
      const degraded = lifecycle.draining || Object.values(checks).some((state) => state !== 'up');
      return {
        status: degraded ? 'degraded' : 'ok',
        service: info.name,
        version: info.version,
        uptimeSeconds: Math.round(process.uptime()),
        checks,
      };
    },
  };
}

export type HealthService = ReturnType<typeof createHealthService>;
